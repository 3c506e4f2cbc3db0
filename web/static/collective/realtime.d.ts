// Types of realtime.js, the Collective realtime client (docs/client.md).
// The data of each event type is generated from the server's catalogue: events.d.ts.

import type {
  DurableEventData,
  DurableType,
  EphemeralEventData,
  EventData,
  EventType,
  PresenceEntry,
} from "./events.js";

export * from "./events.js";

/** One server frame: `id` is set on durable events (dense per user: 1, 2, 3, ...), null otherwise. */
export interface Frame<T extends EventType = EventType> {
  id: T extends DurableType ? number : null;
  type: T;
  ts: string;
  data: EventData[T];
}

/** Any durable event, as delivered to the "event" listener. */
export type DurableFrame = { [K in DurableType]: Frame<K> }[DurableType];

export type ClientState =
  | "idle" // constructed, connect() not called yet
  | "connecting" // fetching a ticket or opening the socket
  | "open" // hello received: events flow
  | "waiting" // closed; a reconnect is scheduled (backoff, or a pause after 4429)
  | "offline" // the browser says it is offline: reconnects when it is back online
  | "blocked" // 4409: too many sockets for this user; waits for one to close
  | "unauthenticated" // 4401 twice, or the ticket refused: log in, then connect() again
  | "closed"; // close() was called

/** What the library does after a close. */
export type CloseAction =
  | "retry" // jittered exponential backoff, then reconnect and resume
  | "reauthenticate" // 4401: a fresh ticket at once (once); then auth_required
  | "pause" // 4429 or throttled tickets: wait (rateLimitPause, or Retry-After), then reconnect
  | "wait_for_socket" // 4409: wait until another socket of the user closes
  | "wait_for_online" // the browser is offline
  | "stop"; // close() was called

export interface CloseInfo {
  /** The WebSocket close code; null when no socket was opened (the ticket request failed). */
  code: number | null;
  reason: string;
  wasClean: boolean;
  action: CloseAction;
  /** Milliseconds until the next attempt, when one is scheduled. */
  retryIn: number | null;
}

/** Events of the client itself (not server frames). */
export interface ClientEvents {
  /** Every durable event, once, in id order. */
  event: DurableFrame;
  /** The socket is open (after hello); `resumedFrom` is the ?last_event_id= it resumed from. */
  open: { user: { id: number; username: string }; lastEventId: number; resumedFrom: number | null };
  close: CloseInfo;
  state: { state: ClientState; previous: ClientState };
  /** Log in (or get a valid token) and call connect() again. */
  auth_required: { reason: "unauthorized" | "ticket_refused"; error: unknown };
  /** 4409: the user has too many sockets open; the library waits for one to close. */
  too_many_sockets: { code: number; retryIn: number };
  /** The browser's `online` / `offline` events. */
  online: Record<string, never>;
  offline: Record<string, never>;
  /** Another tab of this browser moved the user's shared last_event_id. */
  sync: { lastEventId: number; own: number | null };
}

/** Server frames by type; durable ones are deduplicated and ordered. */
export type ServerEvents = { [K in EventType]: Frame<K> };

export type RealtimeEvents = ServerEvents & ClientEvents;

export interface BackoffOptions {
  /** First delay in ms (default 500). */
  initial?: number;
  /** Largest delay in ms (default 30000). */
  max?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of the delay taken off at random (default 0.5: between half and all of it). */
  jitter?: number;
}

export interface RealtimeOptions {
  /** The socket URL (default: /ws/ of `apiBase`, or of the page's origin). */
  url?: string;
  /** Origin of the API (default: the page's). */
  apiBase?: string;
  /** "cookie": the session cookie on the socket; "ticket": POST /api/v1/realtime/tickets/ before each
   * connect. Default: "ticket" when `token` or `getTicket` is given, else "cookie". */
  auth?: "cookie" | "ticket";
  /** A REST token: tickets are fetched with `Authorization: Token <token>`. */
  token?: string;
  /** Your own ticket source; throw a TicketError with status 401/403 when the user must log in. */
  getTicket?: () => Promise<string>;
  /** CSRF token for ticket requests made with the session cookie (default: the csrftoken cookie). */
  csrfToken?: string | (() => string);
  /** Where the per-user last_event_id is kept (default localStorage; null: nowhere). */
  storage?: Storage | null;
  /** Prefix of the storage keys (default "collective.realtime"). */
  storagePrefix?: string;
  /** Resume the first connection from this id (default: what the browser stored for the user). */
  lastEventId?: number;
  backoff?: BackoffOptions;
  /** Pause after 4429, in ms (default 60000). */
  rateLimitPause?: number;
  /** No frame for this long (ms) closes and reconnects the socket; a ping is sent at half (default 60000). */
  silenceTimeout?: number;
  /** After the browser's offline/online event, a ping must be answered within this (ms; default 5000). */
  offlineProbeTimeout?: number;
  /** A socket must say hello within this (ms; default 15000). */
  connectTimeout?: number;
  /** Timeout of presence queries, pings and ready() (ms; default 10000). */
  queryTimeout?: number;
  /** Frames sent per second at most (default 20; the server closes with 4429 above 30). */
  maxFramesPerSecond?: number;
  /** A repeated typing "start" is sent at most this often per thread (ms; default 3000). */
  typingInterval?: number;
  /** While blocked by 4409, try again after this (ms; default 60000; 0: only when told). */
  blockedRetry?: number;
  /** Replacements for tests or other environments. */
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
}

export declare const CloseCode: Readonly<{
  NORMAL: 1000;
  GOING_AWAY: 1001;
  NO_STATUS: 1005;
  ABNORMAL: 1006;
  TOO_BIG: 1009;
  SERVICE_RESTART: 1012;
  TRY_AGAIN_LATER: 1013;
  CLIENT_WATCHDOG: 4000;
  UNAUTHORIZED: 4401;
  SLOW_CONSUMER: 4408;
  TOO_MANY_SOCKETS: 4409;
  RATE_LIMITED: 4429;
}>;

export declare const Limits: Readonly<{
  MAX_FRAME_BYTES: number;
  MAX_FRAMES_PER_SECOND: number;
  TYPING_FRAMES: number;
  TYPING_WINDOW_MS: number;
  TYPING_TTL_MS: number;
  PRESENCE_QUERY_MAX: number;
  TICKET_PATH: string;
  SOCKET_PATH: string;
}>;

export declare class TicketError extends Error {
  constructor(message: string, status?: number, retryAfter?: number | null);
  /** HTTP status of the ticket request (0: network error). */
  status: number;
  /** Seconds, from Retry-After. */
  retryAfter: number | null;
}

export declare class RealtimeClient {
  constructor(options?: RealtimeOptions);
  readonly options: Required<RealtimeOptions>;
  readonly state: ClientState;
  /** The user of the socket (from hello); null before the first hello. */
  readonly userId: number | null;
  /** The last durable id delivered to this client's listeners. */
  readonly lastEventId: number | null;
  /** The highest durable id any tab of this browser delivered for the user (storage). */
  readonly sharedLastEventId: number | null;
  /** Durable events dropped because they had been delivered already. */
  readonly duplicatesDropped: number;

  on<K extends keyof RealtimeEvents>(type: K, listener: (payload: RealtimeEvents[K]) => void): () => void;
  off<K extends keyof RealtimeEvents>(type: K, listener: (payload: RealtimeEvents[K]) => void): void;
  once<K extends keyof RealtimeEvents>(type: K, listener: (payload: RealtimeEvents[K]) => void): () => void;

  connect(): this;
  close(): void;
  ready(timeout?: number): Promise<void>;
  /** Returns whether a frame was sent (repeats and frames over the typing limit are not). */
  typing(thread: number, state?: "start" | "stop"): boolean;
  markRead(thread: number, message: number): boolean;
  /** Presence of these users, 200 per frame; only users the server lets this user see. */
  queryPresence(userIds: number[], options?: { timeout?: number }): Promise<Record<string, PresenceEntry>>;
  /** Round trip in ms. */
  ping(options?: { timeout?: number }): Promise<number>;
}

export default RealtimeClient;

export type { DurableEventData, EphemeralEventData };
