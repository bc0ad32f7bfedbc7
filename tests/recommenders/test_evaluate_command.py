"""``crosssell_evaluate`` is a thin wrapper: it reads the CSV it is given and prints the table."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def export_csv(tmp_path):
    """A tiny Online Retail style export: mugs go with teapots, hoses with spades."""
    rows = []
    for week in range(10):
        for k, pair in enumerate((("10001", "10002"), ("20001", "20002"))):
            invoice = f"5{week:02d}{k}"
            for code in pair:
                rows.append(
                    {
                        "InvoiceNo": invoice,
                        "StockCode": code,
                        "Description": f"item {code}",
                        "Quantity": 1,
                        "InvoiceDate": pd.Timestamp("2011-09-01") + pd.Timedelta(weeks=week),
                        "UnitPrice": 2.5,
                        "CustomerID": 12345,
                        "Country": "United Kingdom",
                    }
                )
    path = tmp_path / "export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_prints_one_row_per_requested_model(export_csv):
    out = io.StringIO()
    call_command(
        "crosssell_evaluate",
        csv=str(export_csv),
        cut_date="2011-10-27",
        models="popularity,itemcf",
        stdout=out,
        stderr=io.StringIO(),
    )
    table = out.getvalue()
    assert table.startswith("| model | HR@10 | NDCG@10")
    assert "| popularity |" in table and "| itemcf | 1.0000 | 1.0000 |" in table


def test_an_unknown_model_name_is_a_command_error(export_csv):
    with pytest.raises(CommandError, match="unknown models"):
        call_command("crosssell_evaluate", csv=str(export_csv), models="nope", stdout=io.StringIO())
