from django import forms


class CheckoutForm(forms.Form):
    email = forms.EmailField(label="E-mail for the receipt", required=False)
