/* Keep the bought-together total in step with the ticked boxes. Progressive enhancement: without
   JavaScript the form still works and shows the price of the whole bundle. */
document.querySelectorAll("form[data-bundle]").forEach(function (form) {
  var label = form.querySelector("[data-bundle-label]");
  var total = form.querySelector("[data-bundle-total]");
  var button = form.querySelector("button[type=submit]");
  function update() {
    var boxes = form.querySelectorAll("input[name=product_ids]");
    var pence = 0, ticked = 0;
    boxes.forEach(function (box) {
      if (box.checked) { ticked += 1; pence += Math.round(parseFloat(box.dataset.price || "0") * 100); }
    });
    label.textContent = ticked === boxes.length ? "Price for all " + ticked : "Price for " + ticked + " selected";
    total.textContent = "£" + (pence / 100).toFixed(2);
    button.disabled = ticked === 0;
  }
  form.addEventListener("change", update);
});
