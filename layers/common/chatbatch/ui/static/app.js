// chatbatch console: the reference client of the history and console API. Plain JS, no framework, no build step.
// Every piece of data goes into the page through textContent / attributes, never as HTML.
"use strict";

const TOKEN_KEY = "chatbatch.apiToken"; // sessionStorage: this tab only, gone when it closes
const POLL_MS = 2000;
const ROOM_PAGE = 30;
const MESSAGE_PAGE = 40;
const JOB_PAGE = 50;
const SEARCH_DELAY_MS = 300;
const GROUP_WITHIN_MS = 5 * 60 * 1000; // consecutive bubbles of one sender within this are one group
const SENDER_LABELS = { contact: "Customer", user: "Staff", ai: "AI bot" };
const PREVIEW_PREFIX = { contact: "", user: "Staff: ", ai: "AI bot: " };
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };

class SignedOut extends Error {}

class ApiError extends Error {
  constructor(message, status, details) {
    super(message);
    this.status = status;
    this.details = details || [];
  }
}

const $ = (id) => document.getElementById(id);
const state = freshState();

function freshState() {
  return {
    token: null,
    me: null,                // {session_tok, scope, scopes, name}
    rooms: new Map(),        // id -> Room (as the API returns it)
    roomItems: new Map(),    // id -> <li>
    roomsCursor: null,       // next page of the room list: "" the first, null when all are loaded
    roomsLoading: false,
    search: "",
    searchTimer: null,
    changesCursor: null,
    pollTimer: null,
    openRoomId: null,
    messages: new Map(),     // id -> Message of the open room
    jobs: new Map(),         // id -> Job of the open room (failed ones are shown in the conversation)
    timelineItems: new Map(),// key -> <li> shown for a message, a failed job or a day
    olderCursor: null,
    olderLoading: false,
    sending: false,
    settings: null,          // the settings as loaded (admin)
    generation: 0,           // bumped on sign-out and room switch: stale answers are dropped
    session: 0,              // bumped on sign-out: a poll of the previous sign-in never reschedules itself
  };
}

const can = (scope) => Boolean(state.me && state.me.scopes.includes(scope));

// ---- API -------------------------------------------------------------------------------------------

async function api(path, method = "GET", body = undefined) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    cache: "no-store",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    signOut("That API token was not accepted (missing, unknown or revoked). Sign in again.");
    throw new SignedOut();
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(answer.message || `the server answered ${response.status}`, response.status, answer.details);
  }
  return answer;
}

const query = (params) =>
  Object.entries(params)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");

// ---- formatting ------------------------------------------------------------------------------------

function contactNumber(room) {
  const [user, server] = String(room.contact_jid || "").split("@");
  return server === "g.us" ? `Group ${user}` : `+${user}`;
}

const contactLabel = (room) => room.contact_name || contactNumber(room);

const sameDay = (a, b) => a.toDateString() === b.toDateString();

// The room list's time: today the time, then "Yesterday", a weekday within a week, a date (with the year when
// it is not this year's).
function shortTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const now = new Date();
  if (sameDay(when, now)) return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(when, yesterday)) return "Yesterday";
  if (now - when < 6 * 24 * 3600 * 1000 && when < now) return when.toLocaleDateString([], { weekday: "short" });
  const options = { day: "numeric", month: "short" };
  if (when.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return when.toLocaleDateString([], options);
}

function dayLabel(date) {
  const now = new Date();
  if (sameDay(date, now)) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(date, yesterday)) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

const clockTime = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- room list -------------------------------------------------------------------------------------

const newestFirst = (a, b) => (b.last_activity > a.last_activity ? 1 : b.last_activity < a.last_activity ? -1 : b.id - a.id);

function renderRoomItem(room) {
  let item = state.roomItems.get(room.id);
  if (!item) {
    item = el("li");
    const button = el("button", "room");
    button.type = "button";
    button.dataset.roomId = String(room.id);
    button.addEventListener("click", () => openRoom(room.id).catch(report));
    item.append(button);
    state.roomItems.set(room.id, item);
  }
  const button = item.firstChild;
  const name = contactLabel(room);
  const unread = room.unread_count || 0;
  const badge = unread > 0 ? el("span", "room-badge", String(unread)) : null;
  if (badge) badge.setAttribute("aria-label", `${unread} unread`);
  const paused = room.bot_paused ? el("span", "room-paused", "Bot paused") : null;
  const time = el("time", "room-time", shortTime(room.last_activity));
  time.dateTime = room.last_activity;
  const preview = el("span", "room-preview", `${PREVIEW_PREFIX[room.last_sender] || ""}${room.last_message || ""}`);
  const extras = el("span", "room-extras");
  extras.append(...[paused, badge].filter(Boolean));
  button.replaceChildren(el("span", "room-name", name), time, preview, extras);
  button.setAttribute("aria-current", room.id === state.openRoomId ? "true" : "false");
  const notes = [unread ? `${unread} unread` : "", room.bot_paused ? "bot paused" : ""].filter(Boolean).join(", ");
  button.setAttribute("aria-label", `${name}${notes ? `, ${notes}` : ""}: ${preview.textContent}`);
}

function renderRoomList() {
  const list = $("room-list");
  const focused = document.activeElement;
  const ordered = [...state.rooms.values()].sort(newestFirst);
  ordered.forEach((room, index) => {
    const item = state.roomItems.get(room.id);
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
  });
  // Moving a node can drop its focus; a keyboard user must not lose their place when a room jumps up.
  if (focused && focused !== document.activeElement && list.contains(focused)) focused.focus();
  const empty = $("rooms-empty");
  empty.textContent = state.search ? "No conversation matches." : "No conversations yet.";
  empty.hidden = ordered.length > 0 || state.roomsLoading;
}

function storeRoom(room) {
  state.rooms.set(room.id, room);
  renderRoomItem(room);
  if (room.id === state.openRoomId) renderConversationHeader(room);
}

async function loadMoreRooms() {
  if (state.roomsLoading || state.roomsCursor === null) return;
  state.roomsLoading = true;
  $("rooms-more").hidden = false;
  const generation = state.generation;
  const search = state.search;
  try {
    const page = await api(`chat-rooms?${query({ limit: ROOM_PAGE, cursor: state.roomsCursor || null, q: search })}`);
    if (generation !== state.generation || search !== state.search) return;
    page.items.forEach(storeRoom);
    state.roomsCursor = page.next_cursor;
  } finally {
    state.roomsLoading = false;
    $("rooms-more").hidden = true;
    renderRoomList();
  }
  fillRoomPane();
}

// Keep loading while the list does not fill its pane: a scroll bar is what asks for more.
function fillRoomPane() {
  const pane = document.querySelector(".rooms-pane");
  if (state.roomsCursor !== null && pane.scrollHeight <= pane.clientHeight + 40) loadMoreRooms().catch(report);
}

async function reloadRooms() {
  state.rooms.clear();
  state.roomItems.clear();
  $("room-list").replaceChildren();
  state.roomsCursor = "";
  state.roomsLoading = false;
  await loadMoreRooms();
}

function searchRooms(text) {
  clearTimeout(state.searchTimer);
  state.searchTimer = setTimeout(() => {
    state.search = text.trim();
    reloadRooms().catch(report);
  }, SEARCH_DELAY_MS);
}

// ---- conversation ----------------------------------------------------------------------------------

// One timeline of the open room: its messages and its failed jobs (that were not retried), oldest first, with a
// separator before each new day. A failed job sits after the burst it failed to answer.
function timelineEntries() {
  const entries = [...state.messages.values()].map((message) => ({ key: `m${message.id}`, at: message.timestamp, order: 0, message }));
  for (const job of state.jobs.values()) {
    if (job.status === "failed" && job.retried_by === null) {
      entries.push({ key: `j${job.id}`, at: job.last_message_at || job.created_at, order: 1, job });
    } else if (job.retry_of !== null && !["done", "failed", "skipped"].includes(job.status)) {
      entries.push({ key: `r${job.id}`, at: job.last_message_at || job.created_at, order: 1, retrying: job });
    }
  }
  entries.sort((a, b) => (a.at > b.at ? 1 : a.at < b.at ? -1 : a.order - b.order || (a.key > b.key ? 1 : -1)));
  const withDays = [];
  let previous = null;
  for (const entry of entries) {
    const day = new Date(entry.at);
    if (!previous || !sameDay(day, new Date(previous.at))) {
      withDays.push({ key: `d${day.toDateString()}`, day });
    }
    if (entry.message) {
      const last = previous && previous.message;
      entry.grouped = Boolean(
        last && last.sender_type === entry.message.sender_type && last.sent_by === entry.message.sent_by &&
        sameDay(new Date(last.timestamp), day) && new Date(entry.message.timestamp) - new Date(last.timestamp) < GROUP_WITHIN_MS,
      );
    }
    withDays.push(entry);
    previous = entry;
  }
  return withDays;
}

function messageItem(message) {
  const sender = SENDER_LABELS[message.sender_type] ? message.sender_type : "contact";
  const item = el("li", `message sender-${sender}${sender === "contact" ? "" : " from-business"}`);
  item.dataset.messageId = String(message.id);
  item.dataset.sender = sender;
  const bubble = el("div", "bubble");
  const label = sender === "user" && message.sent_by ? `${SENDER_LABELS.user} · ${message.sent_by}` : SENDER_LABELS[sender];
  bubble.append(el("span", "sender-label", label));
  const content = el("p", "content");
  if (message.message_type && message.message_type !== "text") {
    content.append(el("span", "kind", message.message_type));
  }
  content.append(document.createTextNode(message.content || ""));
  const time = el("time", "", clockTime(message.timestamp));
  time.title = new Date(message.timestamp).toLocaleString();
  time.dateTime = message.timestamp;
  bubble.append(content, time);
  if (message.status === "failed") bubble.append(el("span", "delivery-failed", "Not sent"));
  else if (message.status === "unconfirmed") bubble.append(el("span", "delivery-failed", "Sent? No answer from the gateway"));
  else if (message.status === "sending") bubble.append(el("span", "delivery-sending", "Sending…"));
  item.append(bubble);
  return item;
}

function failedJobItem(job) {
  const item = el("li", "job-failed");
  item.dataset.jobId = String(job.id);
  const card = el("div", "job-card");
  card.append(el("strong", "", "The bot could not answer"), el("p", "job-error", job.error || "unknown error"));
  if (job.parts_handed_over > 0) {
    // the customer may have part of this reply: a retry would send a whole new one on top (the API refuses it)
    card.append(el("p", "job-handed", "Part of this reply may have reached the customer: answer by hand."));
  } else if (can("operate")) {
    const retry = el("button", "retry", "Retry");
    retry.type = "button";
    retry.addEventListener("click", () => retryJob(job.id, retry).catch(report));
    card.append(retry);
  }
  item.append(card);
  return item;
}

function retryingItem(job) {
  const item = el("li", "job-retrying");
  item.dataset.jobId = String(job.id);
  item.append(el("div", "job-card", "The bot is trying again…"));
  return item;
}

function renderMessages({ keep }) {
  const scroller = $("message-scroller");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  const atBottom = fromBottom - scroller.clientHeight < 60;
  // Nodes are kept by key and only new ones inserted (in their place): the live region announces those.
  const list = $("message-list");
  const entries = timelineEntries();
  const wanted = new Set(entries.map((entry) => entry.key));
  for (const [key, node] of state.timelineItems) {
    if (!wanted.has(key)) {
      node.remove();
      state.timelineItems.delete(key);
    }
  }
  entries.forEach((entry, index) => {
    let item = state.timelineItems.get(entry.key);
    if (item && entry.message && item.dataset.status !== entry.message.status) {
      item.remove();
      item = null;
    }
    if (!item) {
      if (entry.day) item = el("li", "day-separator", dayLabel(entry.day));
      else if (entry.job) item = failedJobItem(entry.job);
      else if (entry.retrying) item = retryingItem(entry.retrying);
      else {
        item = messageItem(entry.message);
        item.dataset.status = entry.message.status;
      }
      state.timelineItems.set(entry.key, item);
    }
    if (entry.message) item.classList.toggle("grouped", entry.grouped);
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
  });
  if (keep === "bottom" || (keep === "auto" && atBottom)) {
    scroller.scrollTop = scroller.scrollHeight;
  } else {
    scroller.scrollTop = scroller.scrollHeight - fromBottom; // older ones added above: stay where the reader is
  }
}

function addMessages(items) {
  let added = 0;
  for (const message of items) {
    const known = state.messages.get(message.id);
    if (!known || known.status !== message.status) added += 1;
    state.messages.set(message.id, message);
  }
  return added;
}

function renderConversationHeader(room) {
  $("conversation-title").textContent = contactLabel(room);
  $("conversation-number").textContent = room.contact_name ? contactNumber(room) : "";
  const botState = $("bot-state");
  botState.hidden = false;
  botState.textContent = room.bot_paused ? "Bot paused" : "Bot on";
  botState.classList.toggle("paused", room.bot_paused);
  const toggle = $("bot-switch");
  toggle.hidden = !can("operate");
  toggle.textContent = room.bot_paused ? "Resume bot" : "Pause bot";
  toggle.setAttribute("aria-pressed", room.bot_paused ? "true" : "false");
}

async function loadJobs(roomId) {
  const generation = state.generation;
  const page = await api(`chat-rooms/${roomId}/jobs?${query({ limit: JOB_PAGE })}`);
  if (generation !== state.generation) return false;
  state.jobs = new Map(page.items.map((job) => [job.id, job]));
  return true;
}

async function openRoom(roomId) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  const generation = ++state.generation;
  state.openRoomId = roomId;
  state.messages.clear();
  state.jobs.clear();
  state.timelineItems.clear();
  state.olderCursor = null;
  state.rooms.forEach(renderRoomItem);
  renderConversationHeader(room);
  $("message-list").replaceChildren();
  $("reply-form").hidden = !can("operate");
  $("read-only-note").hidden = can("operate");
  $("reply-error").hidden = true;
  $("app").classList.add("showing-conversation");
  const [page] = await Promise.all([api(`chat-rooms/${roomId}/messages?${query({ limit: MESSAGE_PAGE })}`), loadJobs(roomId)]);
  if (generation !== state.generation) return;
  addMessages(page.items);
  state.olderCursor = page.next_cursor;
  renderMessages({ keep: "bottom" });
  await markRead(roomId);
  fillConversation();
}

async function markRead(roomId) {
  const room = await api(`chat-rooms/${roomId}/read`, "POST");
  if (state.rooms.has(room.id)) storeRoom(room);
  renderRoomList();
}

async function loadOlderMessages() {
  if (state.olderLoading || !state.olderCursor || state.openRoomId === null) return;
  state.olderLoading = true;
  $("messages-older").hidden = false;
  const generation = state.generation;
  try {
    const page = await api(`chat-rooms/${state.openRoomId}/messages?${query({ limit: MESSAGE_PAGE, before: state.olderCursor })}`);
    if (generation !== state.generation) return;
    addMessages(page.items);
    state.olderCursor = page.next_cursor;
    renderMessages({ keep: "position" });
  } finally {
    state.olderLoading = false;
    $("messages-older").hidden = true;
  }
  fillConversation();
}

function fillConversation() {
  const scroller = $("message-scroller");
  if (state.olderCursor && scroller.scrollHeight <= scroller.clientHeight + 40) loadOlderMessages().catch(report);
}

// The open room changed: fetch its newest pages until one reaches a message already shown (merged by id, so
// the overlap is harmless), so a burst longer than a page leaves no gap; and its jobs (one may have failed).
async function refreshOpenRoom(room) {
  const generation = state.generation;
  const shown = state.messages.size; // 0: the room's first page is still loading; one page is enough
  let added = 0;
  let before = null;
  do {
    const page = await api(`chat-rooms/${room.id}/messages?${query({ limit: MESSAGE_PAGE, before })}`);
    if (generation !== state.generation) return;
    const fresh = addMessages(page.items);
    added += fresh;
    before = shown > 0 && fresh === page.items.length ? page.next_cursor : null;
  } while (before);
  if (!(await loadJobs(room.id))) return;
  renderMessages({ keep: added > 0 ? "auto" : "position" });
  if (room.unread_count > 0 && document.visibilityState === "visible") await markRead(room.id);
}

function closeRoom() {
  state.generation += 1;
  state.openRoomId = null;
  $("app").classList.remove("showing-conversation");
  state.rooms.forEach(renderRoomItem);
  const first = $("room-list").querySelector(".room");
  if (first) first.focus();
}

// ---- operator actions ------------------------------------------------------------------------------

async function sendReply() {
  const box = $("reply-text");
  const text = box.value.trim();
  const roomId = state.openRoomId;
  if (!text || state.sending || roomId === null) return;
  state.sending = true;
  $("reply-send").disabled = true;
  $("reply-error").hidden = true;
  try {
    const message = await api(`chat-rooms/${roomId}/messages`, "POST", { text });
    box.value = "";
    if (roomId === state.openRoomId) {
      addMessages([message]);
      renderMessages({ keep: "bottom" });
    }
  } catch (error) {
    if (error instanceof SignedOut) return;
    const note = $("reply-error");
    note.textContent = `Not sent: ${error.message}`;
    note.hidden = false;
  } finally {
    state.sending = false;
    $("reply-send").disabled = false;
    box.focus();
  }
}

async function switchBot() {
  const room = state.rooms.get(state.openRoomId);
  if (!room) return;
  const updated = await api(`chat-rooms/${room.id}/bot`, "POST", { paused: !room.bot_paused });
  storeRoom(updated);
  renderRoomList();
}

async function retryJob(jobId, button) {
  button.disabled = true;
  try {
    const retry = await api(`jobs/${jobId}/retry`, "POST");
    const failed = state.jobs.get(jobId);
    if (failed) state.jobs.set(jobId, { ...failed, retried_by: retry.id });
    state.jobs.set(retry.id, retry);
    renderMessages({ keep: "auto" });
  } catch (error) {
    button.disabled = false;
    throw error;
  }
}

// ---- settings (admin) ------------------------------------------------------------------------------

const NUMBER_FIELDS = [
  "debounce_seconds", "max_wait_seconds", "max_batch_messages", "history_context_messages", "human_takeover_minutes",
  "max_replies_per_hour", "daily_token_budget",
];
const TEXT_FIELDS = ["system_prompt", "llm_model", "time_zone", "away_message"];
const CHECK_FIELDS = ["bot_enabled", "ai_reply_groups"];

function hoursText(openings) {
  return (openings || []).map((o) => `${o.open}-${o.close}`).join(", ");
}

function parseHours() {
  const week = {};
  for (const day of DAYS) {
    const text = $(`s-hours-${day}`).value.trim();
    if (!text) continue;
    week[day] = text.split(",").map((part) => {
      const [open, close] = part.split("-").map((t) => t.trim());
      return { open: open || "", close: close || "" };
    });
  }
  return Object.keys(week).length ? week : null;
}

function buildHoursInputs() {
  const holder = $("hours-days");
  if (holder.children.length) return;
  for (const day of DAYS) {
    const label = el("label", "day-hours", DAY_NAMES[day]);
    const input = el("input");
    input.id = `s-hours-${day}`;
    input.type = "text";
    input.placeholder = "closed (e.g. 09:00-12:00, 13:00-17:00)";
    input.spellcheck = false;
    label.append(input);
    holder.append(label);
  }
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  $("time-zones").replaceChildren(...zones.map((zone) => Object.assign(el("option"), { value: zone })));
}

function fillSettings(settings) {
  state.settings = settings;
  for (const name of [...TEXT_FIELDS, ...NUMBER_FIELDS]) $(`s-${name}`).value = settings[name] ?? "";
  for (const name of CHECK_FIELDS) $(`s-${name}`).checked = Boolean(settings[name]);
  for (const day of DAYS) $(`s-hours-${day}`).value = hoursText((settings.business_hours || {})[day]);
  document.querySelectorAll("[data-origin]").forEach((mark) => {
    mark.textContent = settings.overridden.includes(mark.dataset.origin) ? "" : "(default)";
  });
}

// Only what the form changed is sent: PATCH leaves every other field as it is.
function changedSettings() {
  const loaded = state.settings;
  const changes = {};
  for (const name of TEXT_FIELDS) {
    const value = $(`s-${name}`).value;
    const before = loaded[name] ?? "";
    if (value !== before) changes[name] = value === "" && name === "away_message" ? null : value;
  }
  for (const name of NUMBER_FIELDS) {
    const raw = $(`s-${name}`).value;
    if (raw !== String(loaded[name])) changes[name] = raw === "" ? null : Number(raw);
  }
  for (const name of CHECK_FIELDS) {
    if ($(`s-${name}`).checked !== loaded[name]) changes[name] = $(`s-${name}`).checked;
  }
  const hours = parseHours();
  if (JSON.stringify(hours) !== JSON.stringify(loaded.business_hours)) changes.business_hours = hours;
  return changes;
}

async function openSettings() {
  buildHoursInputs();
  $("settings-error").hidden = true;
  $("settings-saved").textContent = "";
  fillSettings(await api("settings"));
  $("panes").hidden = true;
  $("settings-screen").hidden = false;
  $("s-system_prompt").focus();
}

function closeSettings() {
  $("settings-screen").hidden = true;
  $("panes").hidden = false;
}

async function saveSettings() {
  const error = $("settings-error");
  error.hidden = true;
  $("settings-saved").textContent = "";
  const changes = changedSettings();
  if (!Object.keys(changes).length) {
    $("settings-saved").textContent = "Nothing changed.";
    return;
  }
  try {
    fillSettings(await api("settings", "PATCH", changes));
    $("settings-saved").textContent = "Saved.";
  } catch (failure) {
    if (failure instanceof SignedOut) return;
    const details = failure.details.map((d) => `${d.field}: ${d.problem}`).join("; ");
    error.textContent = details ? `Not saved. ${details}` : `Not saved: ${failure.message}`;
    error.hidden = false;
  }
}

// ---- live updates ----------------------------------------------------------------------------------

const sameRoom = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function pollChanges() {
  const { generation, session } = state;
  const changes = await api(`chat-rooms/changes?${query({ since: state.changesCursor })}`);
  if (session !== state.session) return;
  state.changesCursor = changes.cursor;
  if (!changes.complete) {
    await reloadRooms(); // too many changed at once: the first page is cheaper than a long list of changes
    return;
  }
  const oldestLoaded = [...state.rooms.values()].sort(newestFirst).at(-1);
  for (const room of changes.items) {
    const known = state.rooms.get(room.id);
    // A failed job changes its room without changing what the room shows: the open room is refreshed anyway.
    if (room.id === state.openRoomId && generation === state.generation) {
      if (known) storeRoom(room);
      await refreshOpenRoom(room);
      continue;
    }
    if (known && sameRoom(known, room)) continue;
    // While searching, only the rooms found are kept up to date (a new match shows with the next search).
    if (!known && state.search) continue;
    // A room older than the loaded pages appears when the reader scrolls to it, in its place.
    if (!known && state.roomsCursor !== null && oldestLoaded && newestFirst(room, oldestLoaded) > 0) continue;
    storeRoom(room);
  }
  renderRoomList();
}

function schedulePoll() {
  const session = state.session;
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(async () => {
    try {
      await pollChanges();
      $("live-status").textContent = "Live";
    } catch (error) {
      if (error instanceof SignedOut) return;
      $("live-status").textContent = "Reconnecting…";
    }
    if (session === state.session) schedulePoll();
  }, POLL_MS);
}

// ---- sign-in / sign-out ----------------------------------------------------------------------------

async function start(token) {
  state.token = token;
  state.me = await api("me");
  // The cursor first, then the list: anything that changes in between is reported by the first poll.
  const first = await api("chat-rooms/changes");
  state.changesCursor = first.cursor;
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("who").textContent = `${state.me.name} · ${state.me.scope}`;
  $("open-settings").hidden = !can("admin");
  $("live-status").textContent = "Live";
  await reloadRooms();
  schedulePoll();
  const firstRoom = $("room-list").querySelector(".room");
  (firstRoom || $("sign-out")).focus();
}

function signOut(reason) {
  clearTimeout(state.pollTimer);
  clearTimeout(state.searchTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, freshState(), { generation: state.generation + 1, session: state.session + 1 });
  $("room-list").replaceChildren();
  $("message-list").replaceChildren();
  $("room-search").value = "";
  $("conversation-title").textContent = "Select a conversation";
  $("conversation-number").textContent = "";
  $("bot-state").hidden = true;
  $("bot-switch").hidden = true;
  $("reply-form").hidden = true;
  $("read-only-note").hidden = true;
  closeSettings();
  $("app").hidden = true;
  $("app").classList.remove("showing-conversation");
  $("sign-in").hidden = false;
  const error = $("sign-in-error");
  error.textContent = reason || "";
  error.hidden = !reason;
  $("token-input").value = "";
  $("token-input").focus();
}

async function signIn(token) {
  try {
    await start(token);
    return true;
  } catch (error) {
    if (!(error instanceof SignedOut)) signOut(`Could not sign in: ${error.message}`);
    return false;
  }
}

function report(error) {
  if (error instanceof SignedOut) return;
  $("live-status").textContent = `Error: ${error.message}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (!token) {
      signOut("Paste an API token first.");
      return;
    }
    if (await signIn(token)) sessionStorage.setItem(TOKEN_KEY, token);
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("back").addEventListener("click", closeRoom);
  $("room-search").addEventListener("input", (event) => searchRooms(event.currentTarget.value));
  $("reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply().catch(report);
  });
  $("reply-text").addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply().catch(report);
    }
  });
  $("bot-switch").addEventListener("click", () => switchBot().catch(report));
  $("open-settings").addEventListener("click", () => openSettings().catch(report));
  $("settings-close").addEventListener("click", closeSettings);
  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveSettings().catch(report);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!$("settings-screen").hidden) closeSettings();
    else if (state.openRoomId !== null && document.activeElement !== $("reply-text")) closeRoom();
  });
  document.querySelector(".rooms-pane").addEventListener("scroll", (event) => {
    const pane = event.currentTarget;
    if (pane.scrollTop + pane.clientHeight > pane.scrollHeight - 80) loadMoreRooms().catch(report);
  });
  $("message-scroller").addEventListener("scroll", (event) => {
    if (event.currentTarget.scrollTop < 80) loadOlderMessages().catch(report);
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
  else $("token-input").focus();
});
