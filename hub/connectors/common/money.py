"""Money as vendors send it (minor units, loose decimals) and as the hub keeps it (decimal strings)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from hub.connectors.base import ConnectorError, ErrorKind

# ISO 4217 minor-unit exponents that differ from the usual 2.
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def minor_to_decimal(amount: int, currency: str) -> str:
    """An amount in minor units as a decimal string: 1050 USD -> "10.50", JPY 500 -> "500"."""
    exponent = currency_exponent(currency)
    return f"{Decimal(int(amount)).scaleb(-exponent):.{exponent}f}"


def decimal_to_minor(value: str, currency: str) -> int:
    """A decimal string in the currency's smallest unit; more decimals than the currency has is an error."""
    try:
        scaled = Decimal(str(value)).scaleb(currency_exponent(currency))
    except InvalidOperation as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"{value!r} is not a price") from exc
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ConnectorError(
            ErrorKind.PERMANENT, f"{value} {currency} has more decimals than {currency} allows"
        )
    return int(scaled)


def with_currency_decimals(amount: str, currency: str) -> str:
    """A decimal amount ("12.5") with the currency's decimals ("12.50"; JPY "500"), rounded half up."""
    exponent = currency_exponent(currency)
    return str(Decimal(str(amount)).quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP))


def vendor_decimal(value: Any, vendor: str, what: str) -> Decimal:
    """A number a vendor sent (JSON number or text); anything else is a permanent error naming it."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"{vendor} sent {what} {value!r}, not a number") from exc
    if not number.is_finite():
        raise ConnectorError(ErrorKind.PERMANENT, f"{vendor} sent {what} {value!r}, not a number")
    return number
