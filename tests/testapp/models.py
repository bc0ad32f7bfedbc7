"""A host shop that is not the demo: other model and field names, a category by relation."""

from django.db import models


class Section(models.Model):
    label = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.label


class Item(models.Model):
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=100)
    blurb = models.TextField(blank=True)
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL)
    cost = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    on_sale = models.BooleanField(default=True)
    family = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/items/{self.pk}/"
