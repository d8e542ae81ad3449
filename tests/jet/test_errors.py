from jet_orderhive.jet.errors import JetError, JetPayloadError, JetValidationError


def test_error_text_names_method_path_status_and_attempts() -> None:
    err = JetError("Jet failed", method="PUT", path="/orders/abc/shipped", status=503, attempts=4)
    assert str(err) == "Jet failed [PUT /orders/abc/shipped] (HTTP 503) after 4 attempts"


def test_validation_error_lists_jets_messages() -> None:
    err = JetValidationError("rejected", errors=["a: bad", "b: worse"], status=400)
    assert str(err).endswith("(HTTP 400): a: bad; b: worse")
    assert err.errors == ("a: bad", "b: worse")


def test_payload_error_carries_json_paths() -> None:
    err = JetPayloadError(
        "bad order", errors=["order_items[2].item_price.base_price: expected a number"]
    )
    assert "order_items[2].item_price.base_price" in str(err)
    assert repr(err).startswith("JetPayloadError(")
