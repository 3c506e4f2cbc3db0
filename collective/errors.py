"""The stable error codes of collective: the `code` of every error body its services and views
answer (docs/errors.md is generated from here). A generic code (invalid, not_found, ...) is
core's `CoreCode`; a code here names one of collective's rules."""

from core.errors import ErrorCode, register_codes


@register_codes("collective")
class CollectiveCode(ErrorCode):
    AGENT_ALREADY_OWNED = "agent_already_owned", "Agent '…' is already owned by '…'. (400)"
    AGENT_IS_OWNER = "agent_is_owner", "An agent cannot own itself: agent and owner are the same user. (400)"
    AGENT_NOT_FOUND = "agent_not_found", "Agent user '…' does not exist (pass --create-agent to create it). (400)"
    ALREADY_BLOCKED = "already_blocked", "You have already blocked this user. (400)"
    ALREADY_FOLLOWING = "already_following", "You already follow this user. (400)"
    ALREADY_RATED = "already_rated", "You have already rated this connection. (409)"
    ALREADY_REFUNDED = "already_refunded", "This usage was already refunded. (409)"
    ALREADY_VERIFIED = "already_verified", "This phone number is already verified. (409)"
    ASK_AND_OFFER = "ask_and_offer", "A connection is about an offer or an ask, not both. (400)"
    ASK_ARCHIVED = "ask_archived", "An archived ask cannot be changed. (409)"
    ASK_NOT_ACCEPTING = "ask_not_accepting", "This ask is not accepting responses any more. (400)"
    ASK_NOT_FOUND = "ask_not_found", "No such ask. (404)"
    BUDGET_MIN_EXCEEDS_MAX = "budget_min_exceeds_max", "Minimum budget cannot exceed maximum budget. (400)"
    CODE_INVALID = "code_invalid", "Wrong code; … attempt(s) left. (400)"
    CONNECTION_FINAL = "connection_final", "The connection is …; that is final. (409)"
    CONNECTION_NOT_FOUND = "connection_not_found", "No such connection between you and this user. (400)"
    CONNECTION_TYPE_MISMATCH = (
        "connection_type_mismatch",
        "connection_type … does not match the request; it would be …. (400)",
    )
    CREDITS_NOT_GIFTABLE = (
        "credits_not_giftable",
        "Only credits bought or received from other people can be gifted; credits converted from points and "
        "bonuses are yours to spend. (409)",
    )
    CSRF_FAILED = "csrf_failed", "PermissionDenied (403)"
    DUPLICATE_BADGE = "duplicate_badge", "You already gave this badge for this. (409)"
    DUPLICATE_CONNECTION = (
        "duplicate_connection",
        "You already have an active connection with this user for this offer or ask. (409)",
    )
    DUPLICATE_ENDORSEMENT = "duplicate_endorsement", "You already endorsed this user for this. (409)"
    EMAIL_TAKEN = "email_taken", "A user with that email already exists. (400)"
    ENDORSEMENT_HIDDEN = "endorsement_hidden", "A flagged or withdrawn endorsement cannot be featured. (409)"
    EXPIRES_IN_PAST = "expires_in_past", "expires_at must be in the future. (400)"
    FREE_OFFER_PRICED = "free_offer_priced", "A free offer has no price (price_cents must be 0). (400)"
    FREE_OFFER_PRICING_TYPE = (
        "free_offer_pricing_type",
        "A free offer has pricing type 'free'; set is_paid to true for another pricing type. (400)",
    )
    ILLEGAL_TRANSITION = "illegal_transition", "A connection cannot go from … to …. (409)"
    INSUFFICIENT_CREDITS = "insufficient_credits", "You have … credits; that needs …. (409)"
    INSUFFICIENT_POINTS = "insufficient_points", "You have … points. (409)"
    INVALID_AMOUNT = "invalid_amount", "A bonus is a positive whole number of credits. (400)"
    INVALID_CATEGORY = "invalid_category", "'…' is not an active offer category. (400)"
    INVALID_CONVERSION = "invalid_conversion", "Convert at least … points, in multiples of …. (400)"
    INVALID_CREDENTIALS = "invalid_credentials", "Unable to log in with the provided credentials. (400)"
    INVALID_PHONE = "invalid_phone", "RegexValidator"
    INVALID_RATING = "invalid_rating", "rating must be a whole number from 1 to 5. (400)"
    INVALID_STATUS = "invalid_status", "Status must be draft, active or paused; archive with DELETE. (400)"
    INVALID_STATUS_TRANSITION = "invalid_status_transition", "An ask cannot go from '…' to '…'. (409)"
    INVALID_TAGS = "invalid_tags", "Tags must be active 'skill' or 'topic' entries; not allowed: …. (400)"
    INVALID_TOOLS = "invalid_tools", "Tools no longer in the directory: …. (400)"
    NOT_AN_AGENT = "not_an_agent", "User '…' has role '…', not 'agent'; refusing to convert an existing user. (400)"
    NOT_BLOCKED = "not_blocked", "You have not blocked this user. (404)"
    NOT_COMPLETED = "not_completed", "A connection can be rated only once it is completed. (409)"
    NOT_ENDORSEE = "not_endorsee", "Only the endorsed user may do this. (403)"
    NOT_FOLLOWING = "not_following", "You do not follow this user. (404)"
    NOT_OWNER = "not_owner", "Only the owner may change this. (403)"
    NOT_REFUNDABLE = "not_refundable", "Only a usage can be refunded. (400)"
    NOT_WRITABLE = "not_writable", "Not writable: …. (400)"
    NOT_YOUR_PROPOSAL = (
        "not_your_proposal",
        "Only its proposer can withdraw a proposal; accept, decline or counter it. (409)",
    )
    NOT_YOUR_PROPOSAL_TO_ANSWER = (
        "not_your_proposal_to_answer",
        "The other participant answers your proposal; you may revise or withdraw it. (409)",
    )
    OFFER_ARCHIVED = "offer_archived", "An archived offer cannot be changed. (409)"
    OFFER_NOT_ACCEPTING = "offer_not_accepting", "This offer is not accepting connections right now. (400)"
    OFFER_NOT_FOUND = "offer_not_found", "No such offer. (404)"
    ONLY_INITIATOR = "only_initiator", "Only the initiator can …; the responder declines instead. (409)"
    ONLY_RESPONDER = "only_responder", "Only the responder can …. (409)"
    OWNER_IS_AGENT = "owner_is_agent", "Owner '…' is an agent; an agent must be owned by a human user. (400)"
    OWNER_NOT_FOUND = "owner_not_found", "Owner '…' does not exist. (400)"
    PAID_OFFER_FREE_PRICING = (
        "paid_offer_free_pricing",
        "A paid offer needs a pricing type other than 'free' (one_time, hourly, monthly, custom). (400)",
    )
    PAID_OFFER_NO_PRICE = "paid_offer_no_price", "A paid '…' offer needs a price above 0. (400)"
    PAYMENT_REQUIRED = "payment_required", "This connection has an agreed price … and is not paid …. (409)"
    PHONE_MISSING = "phone_missing", "Set a phone number on /api/v1/me/ first. (400)"
    PHONE_OPTED_OUT = "phone_opted_out", "This number replied STOP; reply START to it before verifying. (400)"
    POINTS_NOT_GIFTABLE = (
        "points_not_giftable",
        "Only points received through other people can be gifted; points for onboarding and your own offers "
        "are yours to spend. (409)",
    )
    POINTS_OR_CREDITS = "points_or_credits", "Gift either points or credits. (400)"
    PRICE_LOCKED = "price_locked", "The connection's payment is …; its price can no longer change. (409)"
    PRICE_SET_BY_PROPOSAL = (
        "price_set_by_proposal",
        "The price is agreed through proposals: POST /api/v1/connections/…/proposals/. (400)",
    )
    PROPOSAL_NOT_PENDING = "proposal_not_pending", "This proposal is …; it is not pending. (409)"
    PROPOSAL_PENDING = "proposal_pending", "Another proposal is pending on this connection; reload and answer it. (409)"
    QUIET_HOURS_EMPTY = "quiet_hours_empty", "Quiet hours start and end must differ. (400)"
    QUIET_HOURS_INCOMPLETE = "quiet_hours_incomplete", "Quiet hours need both a start and an end (or neither). (400)"
    READ_ONLY = "read_only", "'…' cannot be changed here. (400)"
    RESEND_TOO_SOON = "resend_too_soon", "A code was just sent; ask for another in … s. (429)"
    RESPONDER_MISMATCH = "responder_mismatch", "The responder is the owner of the offer or ask; leave it out. (400)"
    SELF_BLOCK = "self_block", "You cannot block yourself. (400)"
    SELF_CONNECTION = "self_connection", "You cannot connect with yourself. (400)"
    SELF_FOLLOW = "self_follow", "You cannot follow yourself. (400)"
    SELF_REWARD = "self_reward", "Not to yourself. (400)"
    SLUG_CONFLICT = "slug_conflict", "Could not allocate a unique slug; try again. (409)"
    TOO_MANY_ATTEMPTS = "too_many_attempts", "Too many failed logins for this account; try again in … s. (429)"
    TOO_MANY_CODES = "too_many_codes", "At most … codes an hour. (429)"
    TOO_MANY_TAGS = "too_many_tags", "At most … tags. (400)"
    TOO_MANY_TOOLS = "too_many_tools", "At most … tools. (400)"
    UNKNOWN_BADGE = "unknown_badge", "Unknown badge …. (400)"
    UNKNOWN_FEATURE = "unknown_feature", "Unknown feature …. (400)"
    UNPAID_ASK_BUDGET = (
        "unpaid_ask_budget",
        "Only a paid opportunity has a budget; set is_paid_opportunity to true. (400)",
    )
    USER_BLOCKED = "user_blocked", "You have blocked this user; unblock them first. (400)"
    USER_NOT_FOUND = "user_not_found", "No such user. (404)"
    USERNAME_TAKEN = "username_taken", "A user with that username already exists. (400)"
