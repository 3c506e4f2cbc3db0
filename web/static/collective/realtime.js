// Collective realtime client: one ES module, no dependencies, no build step.
// Protocol: docs/realtime.md; this library: docs/client.md; types: realtime.d.ts.
//
//   import { RealtimeClient } from "/static/collective/realtime.js";
//   const rt = new RealtimeClient({ token });          // or {} for the session cookie
//   rt.on("message.created", (e) => show(e.data.message));
//   rt.on("resync_required", () => reloadFromRest());
//   rt.connect();

/** Close codes the server uses, and the library's own. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  TOO_BIG: 1009, // a frame over 64 KiB: a client bug; never resent
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013, // Redis/PostgreSQL could not serve the handshake: back off, new ticket
  CLIENT_WATCHDOG: 4000, // the library's own: silence, connect timeout, offline probe
  UNAUTHORIZED: 4401, // re-authenticate (a fresh ticket), never a retry loop
  SLOW_CONSUMER: 4408, // reconnect and resume
  TOO_MANY_SOCKETS: 4409, // wait until another socket of the user closes
  RATE_LIMITED: 4429, // slow down: pause, then reconnect
});

/** The server's limits (docs/realtime.md "Limits and error codes") the library keeps to. */
export const Limits = Object.freeze({
  MAX_FRAME_BYTES: 64 * 1024,
  MAX_FRAMES_PER_SECOND: 30,
  TYPING_FRAMES: 20,
  TYPING_WINDOW_MS: 10_000,
  TYPING_TTL_MS: 5_000,
  PRESENCE_QUERY_MAX: 200,
  TICKET_PATH: "/api/v1/realtime/tickets/",
  SOCKET_PATH: "/ws/",
});

const DEFAULTS = {
  url: null,
  apiBase: "",
  auth: null, // "cookie" | "ticket"; default: "ticket" when token or getTicket is given
  token: null,
  getTicket: null,
  csrfToken: null,
  storage: undefined, // default: localStorage (null: keep nothing across page loads)
  storagePrefix: "collective.realtime",
  lastEventId: undefined,
  backoff: { initial: 500, max: 30_000, factor: 2, jitter: 0.5 },
  rateLimitPause: 60_000,
  silenceTimeout: 60_000,
  offlineProbeTimeout: 5_000,
  connectTimeout: 15_000,
  queryTimeout: 10_000,
  maxFramesPerSecond: 20,
  typingInterval: 3_000,
  blockedRetry: 60_000,
  WebSocket: undefined,
  fetch: undefined,
};

const encoder = new TextEncoder();

function report(error) {
  if (typeof globalThis.reportError === "function") globalThis.reportError(error);
  else setTimeout(() => { throw error; }, 0);
}

function safeStorage(option) {
  if (option === null) return null;
  if (option !== undefined) return option;
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (privacy settings, sandboxed frame)
  }
}

function readCookie(name) {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** An error from fetching a ticket: `status` is the HTTP status (0: network), `retryAfter` seconds. */
export class TicketError extends Error {
  constructor(message, status = 0, retryAfter = null) {
    super(message);
    this.name = "TicketError";
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export class RealtimeClient {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...(options.backoff || {}) } };
    const o = this.options;
    if (!o.auth) o.auth = o.token || o.getTicket ? "ticket" : "cookie";
    this._WebSocket = o.WebSocket || null;
    this._fetch = o.fetch || null;
    this._storage = safeStorage(o.storage);
    this._listeners = new Map();
    this._state = "idle";
    this._ws = null;
    this._gen = 0;
    this._userId = null;
    this._cursor = null; // the last durable id delivered to this client's listeners
    this._sentLastEventId = null; // the ?last_event_id= of the current socket
    this._assumedUser = null;
    this._attempt = 0;
    this._unauthorized = 0; // 4401s in a row without a hello
    this._timer = null;
    this._watchdog = null;
    this._connectTimer = null;
    this._probeTimer = null;
    this._lastFrameAt = 0;
    this._pinged = false;
    this._awaitingFill = false;
    this._pending = []; // replies expected, in the order the frames were sent
    this._sendTimes = [];
    this._outbox = [];
    this._flushTimer = null;
    this._typing = new Map();
    this._typingTimes = [];
    this._readyWaiters = [];
    this.duplicatesDropped = 0;
    this._windowHandlers = null;
  }

  // --- public API ------------------------------------------------------------------------
  get state() { return this._state; }
  get userId() { return this._userId; }
  get lastEventId() { return this._cursor; }
  get sharedLastEventId() { return this._userId == null ? null : this._readShared(this._userId); }

  /** Subscribe to a server event type ("message.created", "typing", ...) or a client event
   * ("event", "open", "close", "state", "auth_required", "too_many_sockets", "online", "offline",
   * "sync"). Returns a function that unsubscribes. */
  on(type, listener) {
    let set = this._listeners.get(type);
    if (!set) this._listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this._listeners.get(type)?.delete(listener);
  }

  once(type, listener) {
    const off = this.on(type, (payload) => { off(); listener(payload); });
    return off;
  }

  /** Start (or restart after auth_required / too_many_sockets / close) connecting. */
  connect() {
    this._stopped = false;
    this._unauthorized = 0;
    this._attachWindow();
    if (this._ws && (this._state === "open" || this._state === "connecting")) return this;
    this._clearTimer();
    this._open();
    return this;
  }

  /** Close the socket and stop reconnecting. */
  close() {
    this._stopped = true;
    this._clearTimer();
    const wasOpen = this._state === "open";
    const ws = this._detach();
    this._resetConnectionState(new Error("closed"));
    if (ws) {
      try { ws.close(CloseCode.NORMAL, "client closed"); } catch { /* already closed */ }
      if (wasOpen) this._signalSocketClosed();
      this._emit("close", { code: CloseCode.NORMAL, reason: "client closed", wasClean: true, action: "stop", retryIn: null });
    }
    this._setState("closed");
    this._detachWindow();
    this._rejectWaiters(new Error("closed"));
  }

  /** Resolves once the socket is open (hello received); rejects after `timeout` ms. */
  ready(timeout = this.options.queryTimeout) {
    if (this._state === "open") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, timer: null };
      waiter.timer = setTimeout(() => {
        this._readyWaiters = this._readyWaiters.filter((w) => w !== waiter);
        reject(new Error("not connected"));
      }, timeout);
      this._readyWaiters.push(waiter);
    });
  }

  /** Tell the thread's other participants that this user starts or stops typing. Repeated
   * starts are sent at most every `typingInterval` ms (the server keeps a start for 5 s), and
   * never more than 20 typing frames in 10 s. Returns whether a frame was sent. */
  typing(thread, state = "start") {
    if (state !== "start" && state !== "stop") throw new TypeError("state must be 'start' or 'stop'");
    if (this._state !== "open") return false;
    const now = Date.now();
    const current = this._typing.get(thread);
    if (state === "start" && current && now - current < this.options.typingInterval) return false;
    if (state === "stop" && !current) return false;
    this._typingTimes = this._typingTimes.filter((t) => now - t < Limits.TYPING_WINDOW_MS);
    if (this._typingTimes.length >= Limits.TYPING_FRAMES - 1) return false; // the server expires a start by itself
    this._typingTimes.push(now);
    if (state === "start") this._typing.set(thread, now);
    else this._typing.delete(thread);
    this._send({ type: "typing", thread, state }, { kind: "maybe" });
    return true;
  }

  /** Move this user's read marker in `thread` to `message` (as POST /threads/{id}/read/). */
  markRead(thread, message) {
    if (this._state !== "open") return false;
    this._send({ type: "read", thread, message }, { kind: "maybe" });
    return true;
  }

  /** Presence of `userIds` (asked 200 at a time): `{ "<id>": {status, last_seen} }`, only for
   * users the server lets this user see. Waits for the socket if it is not open yet. */
  async queryPresence(userIds, { timeout = this.options.queryTimeout } = {}) {
    const ids = [...new Set(userIds)];
    if (!ids.every((id) => Number.isInteger(id))) throw new TypeError("user ids must be integers");
    if (this._state !== "open") await this.ready(timeout);
    const chunks = [];
    for (let i = 0; i < ids.length; i += Limits.PRESENCE_QUERY_MAX) chunks.push(ids.slice(i, i + Limits.PRESENCE_QUERY_MAX));
    if (!chunks.length) return {};
    const answers = await Promise.all(chunks.map((chunk) => this._presenceRequest(chunk, timeout)));
    return Object.assign({}, ...answers.map((frame) => frame.data.users));
  }

  /** Send a ping; resolves with the round trip in ms. */
  ping({ timeout = this.options.queryTimeout } = {}) {
    if (this._state !== "open") return Promise.reject(new Error("not connected"));
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const entry = this._entry("ping", resolve, reject, timeout);
      this._send({ type: "ping" }, entry);
    }).then(() => Date.now() - started);
  }

  // --- events ----------------------------------------------------------------------------
  _emit(type, payload) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        report(error); // one failing listener does not stop the stream
      }
    }
  }

  _setState(state) {
    if (this._state === state) return;
    const previous = this._state;
    this._state = state;
    this._emit("state", { state, previous });
  }

  // --- storage shared by the tabs of this browser -----------------------------------------
  _key(userId, what) { return `${this.options.storagePrefix}.${userId}.${what}`; }

  _readShared(userId) {
    if (!this._storage) return null;
    try {
      const raw = this._storage.getItem(this._key(userId, "last_event_id"));
      const value = raw == null ? NaN : Number.parseInt(raw, 10);
      return Number.isInteger(value) && value >= 0 ? value : null;
    } catch {
      return null;
    }
  }

  _writeShared(value, force = false) {
    if (!this._storage || this._userId == null) return;
    try {
      const current = this._readShared(this._userId);
      if (force || current == null || value > current) {
        this._storage.setItem(this._key(this._userId, "last_event_id"), String(value));
      }
    } catch { /* quota or disabled: the in-memory cursor still works */ }
  }

  _rememberUser(userId) {
    if (!this._storage) return;
    try { this._storage.setItem(`${this.options.storagePrefix}.user`, String(userId)); } catch { /* ignore */ }
  }

  _lastUser() {
    if (!this._storage) return null;
    try {
      const value = Number.parseInt(this._storage.getItem(`${this.options.storagePrefix}.user`) ?? "", 10);
      return Number.isInteger(value) ? value : null;
    } catch {
      return null;
    }
  }

  _signalSocketClosed() {
    if (!this._storage || this._userId == null) return;
    try { this._storage.setItem(this._key(this._userId, "socket_closed"), `${Date.now()}:${Math.random()}`); } catch { /* ignore */ }
  }

  _onStorage(event) {
    // Before a first hello (a socket refused with 4409 never gets one), the user is the one this
    // browser last connected as.
    const userId = this._userId ?? this._assumedUser;
    if (userId == null || !event.key) return;
    if (this._userId != null && event.key === this._key(this._userId, "last_event_id")) {
      const value = Number.parseInt(event.newValue ?? "", 10);
      if (Number.isInteger(value)) this._emit("sync", { lastEventId: value, own: this._cursor });
    } else if (event.key === this._key(userId, "socket_closed") && this._state === "blocked") {
      // Another tab of this user closed its socket: a slot is free once the server has seen the
      // close (4409), so try again shortly.
      this._clearTimer();
      this._timer = setTimeout(() => { this._timer = null; this._open(); }, 300 + 400 * Math.random());
    }
  }

  // --- browser events --------------------------------------------------------------------
  _attachWindow() {
    if (this._windowHandlers || typeof window === "undefined" || !window.addEventListener) return;
    this._windowHandlers = {
      online: () => this._onOnline(),
      offline: () => this._onOffline(),
      storage: (event) => this._onStorage(event),
      // The page goes away and takes its socket along: a tab waiting on 4409 may use the slot.
      pagehide: () => { if (this._state === "open") this._signalSocketClosed(); },
    };
    for (const [name, handler] of Object.entries(this._windowHandlers)) window.addEventListener(name, handler);
  }

  _detachWindow() {
    if (!this._windowHandlers) return;
    for (const [name, handler] of Object.entries(this._windowHandlers)) window.removeEventListener(name, handler);
    this._windowHandlers = null;
  }

  _isOffline() {
    return typeof navigator !== "undefined" && navigator.onLine === false;
  }

  _onOffline() {
    this._emit("offline", {});
    if (this._stopped) return;
    if (this._state === "open") {
      // The socket may be dead without knowing it: probe, and drop it if nothing answers.
      this._probe();
    } else if (this._state === "waiting" || this._state === "connecting") {
      this._clearTimer();
      if (this._state === "connecting") this._abandon(CloseCode.CLIENT_WATCHDOG, "offline");
      else this._setState("offline");
    }
  }

  _onOnline() {
    this._emit("online", {});
    if (this._stopped) return;
    if (this._state === "open") {
      this._probe();
    } else if (this._state === "offline" || this._state === "waiting") {
      this._clearTimer();
      this._attempt = 0;
      this._open();
    }
  }

  _probe() {
    if (this._probeTimer) return;
    const since = Date.now();
    this._sendRaw({ type: "ping" });
    this._probeTimer = setTimeout(() => {
      this._probeTimer = null;
      if (this._state === "open" && this._lastFrameAt < since) this._abandon(CloseCode.CLIENT_WATCHDOG, "no answer to probe");
    }, this.options.offlineProbeTimeout);
  }

  // --- connecting ------------------------------------------------------------------------
  _socketUrl(params) {
    const o = this.options;
    let url;
    if (o.url) {
      url = new URL(o.url, globalThis.location?.href);
    } else {
      url = new URL(Limits.SOCKET_PATH, o.apiBase || globalThis.location?.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    }
    for (const [key, value] of Object.entries(params)) if (value != null) url.searchParams.set(key, String(value));
    return url.toString();
  }

  async _fetchTicket() {
    const o = this.options;
    if (typeof o.getTicket === "function") {
      const ticket = await o.getTicket();
      if (typeof ticket !== "string" || !ticket) throw new TicketError("getTicket gave no ticket", 401);
      return ticket;
    }
    const doFetch = this._fetch || globalThis.fetch.bind(globalThis);
    const headers = { Accept: "application/json" };
    if (o.token) headers.Authorization = `Token ${o.token}`;
    else headers["X-CSRFToken"] = (typeof o.csrfToken === "function" ? o.csrfToken() : o.csrfToken) || readCookie("csrftoken") || "";
    let response;
    try {
      response = await doFetch(new URL(Limits.TICKET_PATH, o.apiBase || globalThis.location?.href).toString(), {
        method: "POST", headers, credentials: o.token ? "omit" : "include",
      });
    } catch (error) {
      throw new TicketError(`ticket request failed: ${error}`, 0);
    }
    if (response.status === 201 || response.status === 200) {
      const body = await response.json();
      return body.ticket;
    }
    const retryAfter = Number.parseFloat(response.headers.get("Retry-After") ?? "");
    throw new TicketError(`ticket refused: HTTP ${response.status}`, response.status, Number.isFinite(retryAfter) ? retryAfter : null);
  }

  async _open() {
    if (this._stopped) return;
    this._clearTimer();
    if (this._isOffline()) {
      this._setState("offline");
      return;
    }
    const gen = ++this._gen;
    this._setState("connecting");
    let ticket = null;
    if (this.options.auth === "ticket") {
      try {
        ticket = await this._fetchTicket();
      } catch (error) {
        if (gen !== this._gen || this._stopped) return;
        const status = error?.status ?? 0;
        if (status === 401 || status === 403) {
          this._authRequired("ticket_refused", error);
        } else if (status === 429) {
          const wait = (error.retryAfter ?? this.options.rateLimitPause / 1000) * 1000;
          this._retry({ code: null, reason: "tickets throttled", wasClean: true }, "pause", wait * (1 + 0.2 * Math.random()));
        } else {
          this._retry({ code: null, reason: `ticket: ${error?.message ?? error}`, wasClean: false }, "retry", this._backoff());
        }
        return;
      }
      if (gen !== this._gen || this._stopped) return;
    }
    const explicit = this._userId == null ? this.options.lastEventId : undefined;
    const assumed = this._userId ?? (explicit === undefined ? this._lastUser() : null);
    let from = null;
    if (this._cursor != null) from = this._cursor;
    else if (explicit != null) from = explicit;
    else if (assumed != null) from = this._readShared(assumed);
    this._assumedUser = assumed;
    this._sentLastEventId = from;
    const WS = this._WebSocket || globalThis.WebSocket;
    let ws;
    try {
      ws = new WS(this._socketUrl({ ticket, last_event_id: from }));
    } catch (error) {
      this._retry({ code: null, reason: String(error), wasClean: false }, "retry", this._backoff());
      return;
    }
    this._ws = ws;
    ws.onmessage = (event) => { if (gen === this._gen) this._onMessage(event); };
    ws.onclose = (event) => { if (gen === this._gen) this._onClose(event.code, event.reason, event.wasClean); };
    ws.onerror = () => { /* a close event follows */ };
    this._connectTimer = setTimeout(() => {
      if (gen === this._gen && this._state === "connecting") this._abandon(CloseCode.CLIENT_WATCHDOG, "connect timeout");
    }, this.options.connectTimeout);
  }

  /** Stop listening to the current socket and close it; returns it. */
  _detach() {
    const ws = this._ws;
    this._ws = null;
    this._gen++;
    clearInterval(this._watchdog);
    clearTimeout(this._connectTimer);
    clearTimeout(this._probeTimer);
    clearTimeout(this._flushTimer);
    this._watchdog = this._connectTimer = this._probeTimer = this._flushTimer = null;
    if (ws) ws.onmessage = ws.onclose = ws.onerror = null;
    return ws;
  }

  /** Give up on the current socket now (it may be half dead) and handle it as closed with `code`. */
  _abandon(code, reason) {
    const ws = this._detach();
    if (ws) {
      try { ws.close(code, reason); } catch { /* ignore */ }
    }
    this._onClose(code, reason, false, true);
  }

  _onClose(code, reason, wasClean, detached = false) {
    const wasOpen = this._state === "open";
    if (!detached) this._detach();
    this._resetConnectionState(new Error(`socket closed (${code})`));
    if (wasOpen) this._signalSocketClosed();
    const info = { code, reason, wasClean };
    if (this._stopped) {
      this._setState("closed");
      this._emit("close", { ...info, action: "stop", retryIn: null });
      return;
    }
    switch (code) {
      case CloseCode.UNAUTHORIZED:
        this._unauthorized += 1;
        if (this.options.auth !== "ticket" || this._unauthorized >= 2) {
          this._emit("close", { ...info, action: "reauthenticate", retryIn: null });
          this._authRequired("unauthorized");
        } else {
          this._retry(info, "reauthenticate", 0); // at once, with a fresh ticket
        }
        return;
      case CloseCode.TOO_MANY_SOCKETS:
        // Retrying at once gets 4409 again: wait until a tab of this browser closes its socket
        // (storage signal), connect() is called, or, for sockets elsewhere, `blockedRetry` passes.
        this._setState("blocked");
        this._emit("close", { ...info, action: "wait_for_socket", retryIn: null });
        this._emit("too_many_sockets", { code, retryIn: this.options.blockedRetry });
        if (this.options.blockedRetry) {
          this._timer = setTimeout(() => { this._timer = null; this._open(); }, this.options.blockedRetry * (1 + 0.2 * Math.random()));
        }
        return;
      case CloseCode.RATE_LIMITED:
        this._retry(info, "pause", this.options.rateLimitPause * (1 + 0.2 * Math.random()));
        return;
      case CloseCode.TOO_BIG:
        // A frame of ours was over 64 KiB: a bug in the client. Nothing is resent.
        report(new Error("realtime: the server closed the socket with 1009 (a frame over 64 KiB was sent)"));
        this._retry(info, "retry", this._backoff());
        return;
      default:
        this._retry(info, "retry", this._backoff());
    }
  }

  _retry(info, action, delay) {
    if (this._isOffline()) {
      this._setState("offline");
      this._emit("close", { ...info, action: "wait_for_online", retryIn: null });
      return;
    }
    this._setState("waiting");
    this._emit("close", { ...info, action, retryIn: Math.round(delay) });
    this._timer = setTimeout(() => { this._timer = null; this._open(); }, delay);
  }

  _backoff() {
    const { initial, max, factor, jitter } = this.options.backoff;
    const ceiling = Math.min(max, initial * factor ** this._attempt);
    this._attempt += 1;
    return ceiling * (1 - jitter * Math.random()); // jittered: between (1 - jitter) and 1 times the ceiling
  }

  _clearTimer() {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
  }

  _authRequired(reason, error = null) {
    this._setState("unauthenticated");
    this._emit("auth_required", { reason, error });
  }

  _resetConnectionState(error) {
    for (const entry of this._pending) entry.reject?.(error);
    this._pending = [];
    this._outbox = [];
    this._sendTimes = [];
    this._typing.clear();
    this._awaitingFill = false;
  }

  _rejectWaiters(error) {
    for (const waiter of this._readyWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this._readyWaiters = [];
  }

  // --- receiving -------------------------------------------------------------------------
  _onMessage(event) {
    this._lastFrameAt = Date.now();
    this._pinged = false;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.id != null) {
      this._onDurable(frame);
      return;
    }
    switch (frame.type) {
      case "hello": this._onHello(frame); return;
      case "resumed":
        this._awaitingFill = false;
        this._settle("resume", frame);
        break;
      case "resync_required":
        this._awaitingFill = false;
        this._cursor = frame.data.last_event_id;
        this._writeShared(this._cursor, true);
        this._settle("resume", frame);
        break;
      case "pong": this._settle("ping", frame); break;
      case "presence.state": this._settle("query", frame); break;
      case "error": this._onError(frame); break;
      default: break;
    }
    this._emit(frame.type, frame);
  }

  _onHello(frame) {
    const user = frame.data.user;
    clearTimeout(this._connectTimer);
    this._connectTimer = null;
    if (this._sentLastEventId != null && this._assumedUser != null && user.id !== this._assumedUser) {
      // We resumed from another user's position (another account logged in): start over for this one.
      this._userId = user.id;
      this._cursor = null;
      this._rememberUser(user.id);
      const ws = this._detach();
      try { ws?.close(CloseCode.NORMAL, "user changed"); } catch { /* ignore */ }
      this._open();
      return;
    }
    if (this._userId != null && this._userId !== user.id) this._cursor = null;
    this._userId = user.id;
    this._rememberUser(user.id);
    this._attempt = 0;
    this._unauthorized = 0;
    if (this._sentLastEventId == null) {
      this._cursor = frame.data.last_event_id; // live from the head of the stream
      this._writeShared(this._cursor);
    } else {
      this._cursor = this._sentLastEventId; // the replay (or resync_required) follows
    }
    this._lastFrameAt = Date.now();
    this._startWatchdog();
    this._setState("open");
    for (const waiter of this._readyWaiters) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
    this._readyWaiters = [];
    this._emit("hello", frame);
    this._emit("open", { user, lastEventId: this._cursor, resumedFrom: this._sentLastEventId });
  }

  _onDurable(frame) {
    const id = frame.id;
    if (this._cursor == null) this._cursor = id - 1; // cannot happen after hello; be safe
    if (id <= this._cursor) {
      this.duplicatesDropped += 1;
      return;
    }
    if (id > this._cursor + 1) {
      // Ids are dense: something is missing. Ask for everything after our cursor; the replay
      // brings this one again, in order. (The server fills gaps itself; this is a safety net.)
      if (!this._awaitingFill) {
        this._awaitingFill = true;
        this._send({ type: "resume", last_event_id: this._cursor }, { kind: "resume" });
      }
      return;
    }
    this._cursor = id;
    this._writeShared(id);
    this._emit(frame.type, frame);
    this._emit("event", frame);
  }

  _onError(frame) {
    // The error answers the oldest frame still waiting for a reply, if that frame can get one.
    const head = this._pending[0];
    if (!head) return;
    if (head.kind === "maybe" || head.kind === "query" || head.kind === "resume") {
      this._pending.shift();
      clearTimeout(head.timer);
      if (head.kind === "resume") this._awaitingFill = false;
      const error = new Error(`${frame.data.code}: ${frame.data.detail}`);
      error.code = frame.data.code;
      head.reject?.(error);
    }
  }

  /** A reply of `kind` arrived: it answers the oldest frame of that kind, and the frames sent
   * before that one got no error (the server answers frames in order). */
  _settle(kind, frame) {
    const index = this._pending.findIndex((entry) => entry.kind === kind);
    if (index < 0) return;
    const settled = this._pending.splice(0, index + 1);
    const entry = settled.pop();
    for (const earlier of settled) {
      clearTimeout(earlier.timer);
      if (earlier.kind !== "maybe") earlier.reject?.(new Error(`no answer to ${earlier.kind}`));
    }
    clearTimeout(entry.timer);
    entry.resolve?.(frame);
  }

  _startWatchdog() {
    clearInterval(this._watchdog);
    const timeout = this.options.silenceTimeout;
    this._watchdog = setInterval(() => {
      if (this._state !== "open") return;
      const silent = Date.now() - this._lastFrameAt;
      if (silent >= timeout) {
        this._abandon(CloseCode.CLIENT_WATCHDOG, "silence");
      } else if (silent >= timeout / 2 && !this._pinged) {
        this._pinged = true;
        this._sendRaw({ type: "ping" });
      }
    }, Math.max(100, Math.min(5_000, timeout / 4)));
  }

  // --- sending ---------------------------------------------------------------------------
  _entry(kind, resolve, reject, timeout) {
    const entry = { kind, resolve, reject, timer: null };
    entry.timer = setTimeout(() => {
      // Keep the entry in place (its reply may still come and must be matched to it).
      entry.resolve = entry.reject = null;
      reject(new Error(`no answer to ${kind} within ${timeout} ms`));
    }, timeout);
    return entry;
  }

  _presenceRequest(users, timeout) {
    return new Promise((resolve, reject) => {
      if (this._pending.some((entry) => entry.kind === "maybe")) {
        // A ping first: an error before its pong belongs to the earlier frame, not to the query.
        this._send({ type: "ping" }, { kind: "ping" });
      }
      this._send({ type: "presence.query", users }, this._entry("query", resolve, reject, timeout));
    });
  }

  /** Send a frame as-is, keeping the size limit and the frame rate. `entry`: the reply expected. */
  _send(frame, entry = null) {
    const text = JSON.stringify(frame);
    if (encoder.encode(text).length > Limits.MAX_FRAME_BYTES) {
      throw new RangeError(`a frame may be at most ${Limits.MAX_FRAME_BYTES} bytes (the server closes with 1009)`);
    }
    if (!this._ws || this._state !== "open") {
      entry?.reject?.(new Error("not connected"));
      clearTimeout(entry?.timer);
      return false;
    }
    if (entry) this._pending.push(entry);
    this._outbox.push(text);
    this._flush();
    return true;
  }

  /** A ping of the library's own (watchdog, probe): tracked so its pong is matched to it. */
  _sendRaw(frame) {
    if (!this._ws || this._state !== "open") return;
    this._pending.push({ kind: frame.type, resolve: null, reject: null, timer: null });
    this._outbox.push(JSON.stringify(frame));
    this._flush();
  }

  _flush() {
    const now = Date.now();
    this._sendTimes = this._sendTimes.filter((t) => now - t < 1000);
    while (this._outbox.length && this._sendTimes.length < this.options.maxFramesPerSecond) {
      const text = this._outbox.shift();
      this._sendTimes.push(now);
      try {
        this._ws.send(text);
      } catch {
        return; // closing: the close handler cleans up
      }
    }
    if (this._outbox.length && !this._flushTimer) {
      const wait = Math.max(10, 1000 - (now - this._sendTimes[0]));
      this._flushTimer = setTimeout(() => { this._flushTimer = null; if (this._ws) this._flush(); }, wait);
    }
  }
}

export default RealtimeClient;
