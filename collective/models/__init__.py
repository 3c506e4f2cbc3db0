from .agents import AgentProfile
from .blocks import Block
from .connections import Connection, ConnectionStatus, ConnectionType, PaymentStatus
from .credits import CreditCost, CreditTransaction, CreditTransactionType
from .follows import Follow
from .matching import Match, MatchOutcome
from .negotiation import PriceProposal, ProposalStatus
from .offers import Ask, AskStatus, AskType, Currency, Offer, OfferStatus, OfferType, PricingType
from .phone import PhoneVerification
from .points import PointsAccount, PointsAction, PointsTransaction
from .reputation import ReputationTier, UserReputation
from .rewards import CreditGift, Endorsement, PeerBadgeAward, PeerBadgeType, PointGift
from .taxonomy import Taxonomy, TaxonomyType
from .tools import Tool
from .users import User

__all__ = [
    "AgentProfile",
    "Block",
    "Ask",
    "AskStatus",
    "AskType",
    "Connection",
    "ConnectionStatus",
    "ConnectionType",
    "CreditCost",
    "CreditGift",
    "CreditTransaction",
    "CreditTransactionType",
    "Endorsement",
    "Currency",
    "Follow",
    "Match",
    "MatchOutcome",
    "Offer",
    "OfferStatus",
    "OfferType",
    "PeerBadgeAward",
    "PeerBadgeType",
    "PhoneVerification",
    "PointGift",
    "PointsAccount",
    "PointsAction",
    "PointsTransaction",
    "PaymentStatus",
    "PriceProposal",
    "ProposalStatus",
    "PricingType",
    "ReputationTier",
    "Taxonomy",
    "TaxonomyType",
    "Tool",
    "User",
    "UserReputation",
]
