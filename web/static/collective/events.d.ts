// Generated from realtime/catalogue.py by `python -m web.typegen`; do not edit by hand.
// The `data` of every frame a socket receives (docs/events.md). Used by realtime.d.ts.

/** An ISO 8601 date-time string in UTC. */
export type Timestamp = string;

export type AskStatus = "open" | "in_progress" | "fulfilled" | "closed";
export type AskType = "beta_tester" | "feedback" | "collaborator" | "learning" | "hire" | "advice" | "introduction";
export type AttachmentType = "offer" | "ask" | "connection";
export type AvatarFrame = "none" | "bronze" | "silver" | "gold" | "diamond";
export type ConnectionStatus = "initiated" | "discussing" | "accepted" | "in_progress" | "completed" | "declined" | "cancelled";
export type ConnectionType = "ask_response" | "offer_inquiry" | "direct";
export type Currency = "usd" | "eur" | "gbp" | "cad" | "aud";
export type MatchOutcome = "none" | "connected" | "completed" | "declined" | "cancelled";
export type NotificationKind = "connection_request" | "ask_response" | "connection_accepted" | "help_completed" | "new_follower" | "new_message" | "points_unlock" | "price_proposal" | "payment" | "new_match";
export type OfferStatus = "draft" | "active" | "paused" | "archived";
export type OfferType = "app" | "template" | "course" | "post" | "link" | "service" | "mentorship" | "skill" | "feedback";
export type PaymentKind = "connection" | "offer" | "credit_pack";
export type PaymentState = "open" | "succeeded" | "failed" | "expired" | "refunded" | "partially_refunded" | "disputed" | "mismatch";
export type PaymentStatus = "none" | "pending" | "paid" | "failed" | "refund_pending" | "refunded" | "disputed";
export type PresenceStatus = "online" | "offline";
export type Role = "explorer" | "creator" | "mentor" | "vendor" | "admin" | "agent";

export interface ConnectionCreatedData {
  connection: ConnectionRepresentation;
}

/** `collective.representations.ConnectionSerializer`: the REST representation. `initiator_rating` is the rating given BY the initiator, `responder_rating` BY the responder. */
export interface ConnectionRepresentation {
  id: number;
  initiator: UserSummary;
  responder: UserSummary;
  ask: AskSummary | null;
  offer: OfferSummary | null;
  connection_type: ConnectionType;
  initial_message: string;
  dm_thread: number | null;
  status: ConnectionStatus;
  agreed_price_cents: number | null;
  currency: Currency;
  payment_status: PaymentStatus;
  stripe_payment_intent_id: string;
  paid_at: Timestamp | null;
  initiator_rating: number | null;
  responder_rating: number | null;
  initiator_feedback: string;
  responder_feedback: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: Timestamp | null;
}

/** `collective.representations.UserSummarySerializer`. */
export interface UserSummary {
  id: number;
  username: string;
  role: Role;
  avatar_url: string;
  avatar_frame: AvatarFrame;
  tagline: string;
}

/** `collective.representations.AskSummarySerializer`. */
export interface AskSummary {
  id: number;
  slug: string;
  title: string;
  ask_type: AskType;
  status: AskStatus;
  user_id: number;
}

/** `collective.representations.OfferSummarySerializer`. */
export interface OfferSummary {
  id: number;
  slug: string;
  title: string;
  offer_type: OfferType;
  status: OfferStatus;
  user_id: number;
}

export interface ConnectionUpdatedData {
  connection: ConnectionRepresentation;
  previous_status: ConnectionStatus;
}

export interface MessageData {
  thread: number;
  message: MessageRepresentation;
}

/** `messaging.representations.MessageSerializer` (and its fast-path twin `messaging.services.message_representation`): the REST representation. */
export interface MessageRepresentation {
  id: number;
  thread: number;
  sender: number;
  body: string;
  body_html: string;
  attachments: Attachment[];
  actions: MessageAction[] | null;
  client_id: string | null;
  created_at: Timestamp;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  is_deleted: boolean;
}

/** `messaging.representations.AttachmentSerializer`. */
export interface Attachment {
  type: AttachmentType;
  id: number;
}

/** A structured reply an agent's message offers (docs/onboarding.md): `chips` (pick options, `multiple` for several, `free_text`: the member may type their own too), a `button`, or a `text` prompt (`placeholder`). The member answers with `POST /api/v1/onboarding/answer/` `{message, action: id, values?, text?}`, or by typing a message in the thread. */
export interface MessageAction {
  id: string;
  type: "chips" | "button" | "text";
  label: string;
  options?: MessageActionOption[];
  multiple?: boolean;
  free_text?: boolean;
  placeholder?: string;
  submit_label: string;
}

/** One chip of a `chips` action: `id` is what an answer sends back in `values`. */
export interface MessageActionOption {
  id: string;
  label: string;
}

export interface ThreadReadData {
  thread: number;
  user: number;
  message: number;
}

export interface PointsAwardedData {
  amount: number;
  action: string;
  reason: string;
  total_points: number;
}

export interface NotificationCreatedData {
  notification: NotificationEventItem;
}

/** `notifications.serializers.NotificationEventSerializer` (contract §3). */
export interface NotificationEventItem {
  id: number;
  kind: NotificationKind;
  title: string;
  body: string;
  url: string;
  created_at: Timestamp;
}

export interface NotificationUpdatedData {
  notification: NotificationUpdatedItem;
}

/** `NotificationUpdatedEventSerializer`: the created event's fields and the repeat's. */
export interface NotificationUpdatedItem {
  id: number;
  kind: NotificationKind;
  title: string;
  body: string;
  url: string;
  created_at: Timestamp;
  repeat_count: number;
  updated_at: Timestamp;
}

export interface FollowCreatedData {
  follower: UserSummary;
}

export interface PaymentUpdatedData {
  payment: PaymentRepresentation;
  previous_status: PaymentState | "";
}

/** `payments.representations.PaymentSerializer`: the REST representation of a payment. `checkout_url` is set while the payment is open (Stripe's hosted Checkout page). */
export interface PaymentRepresentation {
  id: number;
  kind: PaymentKind;
  status: PaymentState;
  description: string;
  amount_cents: number;
  currency: Currency;
  platform_fee_cents: number;
  refunded_cents: number;
  buyer: UserSummary;
  seller: UserSummary | null;
  connection: number | null;
  offer: number | null;
  credit_pack: string | null;
  checkout_url: string | null;
  stripe_payment_intent_id: string;
  failure_code: string;
  failure_message: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  paid_at: Timestamp | null;
  refunded_at: Timestamp | null;
}

/** `side`: what the recipient owns — "offer" (a new ask matched it) or "ask" (a new offer). */
export interface MatchCreatedData {
  match: MatchRepresentation;
  side: "offer" | "ask";
}

/** `collective.representations.MatchSerializer` (docs/matching.md). */
export interface MatchRepresentation {
  id: number;
  ask: AskSummary;
  offer: OfferSummary;
  score: number;
  reasons: string[];
  connection: number | null;
  outcome: MatchOutcome;
  created_at: Timestamp;
  notified_at: Timestamp | null;
}

export interface TypingData {
  thread: number;
  user: number;
  state: "start" | "stop";
  expires_in?: number;
}

export interface PresenceData {
  user: number;
  status: PresenceStatus;
  last_seen: Timestamp | null;
}

export interface PresenceStateData {
  users: Record<string, PresenceEntry>;
}

/** `realtime.presence.State.as_dict`. */
export interface PresenceEntry {
  status: PresenceStatus;
  last_seen: Timestamp | null;
}

export interface HelloData {
  user: HelloUser;
  last_event_id: number;
}

export interface HelloUser {
  id: number;
  username: string;
}

export interface EmptyData {
}

export interface StreamPositionData {
  last_event_id: number;
}

export interface ErrorData {
  code: string;
  detail: string;
}

export interface DurableEventData {
  /** A connection is made. To: Initiator and responder. */
  "connection.created": ConnectionCreatedData;
  /** A connection's status, price or rating changes. To: Initiator and responder. */
  "connection.updated": ConnectionUpdatedData;
  /** A message is sent. To: Every participant of the thread, the sender included. */
  "message.created": MessageData;
  /** A message is edited. To: Every participant of the thread. */
  "message.updated": MessageData;
  /** A message is deleted: `message.is_deleted`, its body, HTML and attachments emptied. To: Every participant of the thread. */
  "message.deleted": MessageData;
  /** A participant's read marker moves to `message`. To: Every participant of the thread. */
  "thread.read": ThreadReadData;
  /** The user earns or is gifted points, or reaches a streak, unlock or milestone: the toast. To: The user. */
  "points.awarded": PointsAwardedData;
  /** A notification is made for the user. To: Its recipient. */
  "notification.created": NotificationCreatedData;
  /** A repeat is folded into an existing unread notification; update it in place. To: Its recipient. */
  "notification.updated": NotificationUpdatedData;
  /** Someone follows the user. To: The user followed. */
  "follow.created": FollowCreatedData;
  /** A payment opens, is paid, declined, expires, is refunded or disputed (`previous_status` is empty when it opens). To: The buyer and the seller (the buyer only for a credit pack). */
  "payment.updated": PaymentUpdatedData;
  /** A new ask or a newly published offer matches one of the user's offers or asks (at most `MATCHING["DAILY_NOTIFICATIONS"]` a day). To: The owner of the matched offer or ask. */
  "match.created": MatchCreatedData;
}

export interface EphemeralEventData {
  /** A participant starts or stops typing; a `start` expires after `expires_in` s unless renewed. To: The thread's other participants (not the typist's own sockets). */
  "typing": TypingData;
  /** A user comes online (first socket) or goes offline (last socket closed or expired). To: The user's presence audience (partners, thread peers, followers; not blocked). */
  "presence": PresenceData;
  /** Answer to `presence.query`: only the users the caller may see. To: The asking socket. */
  "presence.state": PresenceStateData;
  /** First frame after accept; `last_event_id` is the head of the user's stream. To: The new socket. */
  "hello": HelloData;
  /** Every `HEARTBEAT_SECONDS` (25 s), to keep proxies from closing idle sockets. To: Each socket. */
  "heartbeat": EmptyData;
  /** Answer to `ping`. To: The pinging socket. */
  "pong": EmptyData;
  /** End of a replay; `last_event_id` is the socket's position. To: The resuming socket. */
  "resumed": StreamPositionData;
  /** The log no longer holds what was missed: reload over REST; live events go on after `last_event_id`. To: The resuming socket. */
  "resync_required": StreamPositionData;
  /** A client frame was refused (docs/realtime.md lists the codes); the socket stays open. To: The socket that sent it. */
  "error": ErrorData;
}

export type DurableType = keyof DurableEventData;
export type EphemeralType = keyof EphemeralEventData;
export type EventData = DurableEventData & EphemeralEventData;
export type EventType = keyof EventData;
