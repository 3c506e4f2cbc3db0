"""The stable error codes of payments (docs/errors.md is generated from here; docs/payments.md
says what each means for a buyer or a creator)."""

from core.errors import ErrorCode, register_codes


@register_codes("payments")
class PaymentsCode(ErrorCode):
    ALREADY_PAID = "already_paid", "This … is already paid. (409)"
    INVALID_STRIPE_SIGNATURE = "invalid_stripe_signature", "Missing or invalid Stripe-Signature. (400)"
    NOTHING_TO_PAY = "nothing_to_pay", "This connection has no agreed price to pay; agree one through a proposal. (409)"
    NOT_THE_BUYER = "not_the_buyer", "Only the member who receives the help pays for it. (409)"
    OFFER_NOT_FOR_SALE = (
        "offer_not_for_sale",
        "Only a published app, course or template with a one-time price can be bought. (409)",
    )
    OWN_OFFER = "own_offer", "You cannot buy your own offer. (409)"
    PACK_NOT_FOUND = "pack_not_found", "No such credit pack. (404)"
    PAYMENTS_NOT_CONFIGURED = (
        "payments_not_configured",
        "Payments are not configured on this server (no STRIPE_SECRET_KEY). (503)",
    )
    PAYMENT_NOT_FOUND = "payment_not_found", "No such payment. (404)"
    PAYMENT_PROVIDER_REFUSED = "payment_provider_refused", "The payment provider refused the request: …. (502)"
    PAYMENT_PROVIDER_UNAVAILABLE = "payment_provider_unavailable", "The payment provider did not answer; retry. (503)"
    SELLER_NOT_PAYABLE = (
        "seller_not_payable",
        "The creator has not finished setting up payouts, so they cannot be paid yet. (409)",
    )
