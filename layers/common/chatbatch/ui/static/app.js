// chatbatch chat history: the reference client of the history API. Plain JS, no framework, no build step.
// Every piece of data goes into the page through textContent / attributes, never as HTML.
"use strict";

const TOKEN_KEY = "chatbatch.apiToken"; // sessionStorage: this tab only, gone when it closes
const POLL_MS = 2000;
const ROOM_PAGE = 30;
const MESSAGE_PAGE = 40;
const SENDER_LABELS = { contact: "Customer", user: "Staff", ai: "AI bot" };
const PREVIEW_PREFIX = { contact: "", user: "Staff: ", ai: "AI bot: " };

class SignedOut extends Error {}

const $ = (id) => document.getElementById(id);
const state = freshState();

function freshState() {
  return {
    token: null,
    rooms: new Map(),        // id -> Room (as the API returns it)
    roomItems: new Map(),    // id -> <li>
    roomsCursor: null,       // next page of the room list: "" the first, null when all are loaded
    roomsLoading: false,
    changesCursor: null,
    pollTimer: null,
    openRoomId: null,
    messages: new Map(),     // id -> Message of the open room
    messageItems: new Map(), // id -> <li> shown for it
    olderCursor: null,
    olderLoading: false,
    generation: 0,           // bumped on sign-out and room switch: stale answers are dropped
    session: 0,              // bumped on sign-out: a poll of the previous sign-in never reschedules itself
  };
}

// ---- API -------------------------------------------------------------------------------------------

async function api(path, method = "GET") {
  const response = await fetch(path, {
    method,
    cache: "no-store",
    headers: { Authorization: `Bearer ${state.token}`, Accept: "application/json" },
  });
  if (response.status === 401) {
    signOut("That API token was not accepted (missing, unknown or revoked). Sign in again.");
    throw new SignedOut();
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.message || `the server answered ${response.status}`);
  }
  return body;
}

const query = (params) =>
  Object.entries(params)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");

// ---- formatting ------------------------------------------------------------------------------------

function contactLabel(room) {
  if (room.contact_name) return room.contact_name;
  const [user, server] = String(room.contact_jid || "").split("@");
  return server === "g.us" ? `Group ${user}` : `+${user}`;
}

function shortTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const sameDay = when.toDateString() === new Date().toDateString();
  return sameDay
    ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : when.toLocaleDateString([], { day: "numeric", month: "short" });
}

function bubbleTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return when.toDateString() === new Date().toDateString() ? time : `${when.toLocaleDateString([], { dateStyle: "medium" })}, ${time}`;
}

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
  const time = el("time", "room-time", shortTime(room.last_activity));
  time.dateTime = room.last_activity;
  const preview = el("span", "room-preview", `${PREVIEW_PREFIX[room.last_sender] || ""}${room.last_message || ""}`);
  button.replaceChildren(el("span", "room-name", name), time, preview, ...(badge ? [badge] : []));
  button.setAttribute("aria-current", room.id === state.openRoomId ? "true" : "false");
  button.setAttribute("aria-label", `${name}${unread ? `, ${unread} unread` : ""}: ${preview.textContent}`);
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
  $("rooms-empty").hidden = ordered.length > 0 || state.roomsLoading;
}

function storeRoom(room) {
  state.rooms.set(room.id, room);
  renderRoomItem(room);
}

async function loadMoreRooms() {
  if (state.roomsLoading || state.roomsCursor === null) return;
  state.roomsLoading = true;
  $("rooms-more").hidden = false;
  const generation = state.generation;
  try {
    const page = await api(`chat-rooms?${query({ limit: ROOM_PAGE, cursor: state.roomsCursor || null })}`);
    if (generation !== state.generation) return;
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
  await loadMoreRooms();
}

// ---- conversation ----------------------------------------------------------------------------------

const oldestFirst = (a, b) => (a.timestamp > b.timestamp ? 1 : a.timestamp < b.timestamp ? -1 : a.id - b.id);

function messageItem(message) {
  const sender = SENDER_LABELS[message.sender_type] ? message.sender_type : "contact";
  const item = el("li", `message sender-${sender}${sender === "contact" ? "" : " from-business"}`);
  item.dataset.messageId = String(message.id);
  item.dataset.sender = sender;
  const bubble = el("div", "bubble");
  bubble.append(el("span", "sender-label", SENDER_LABELS[sender]));
  const content = el("p", "content");
  if (message.message_type && message.message_type !== "text") {
    content.append(el("span", "kind", message.message_type));
  }
  content.append(document.createTextNode(message.content || ""));
  const time = el("time", "", bubbleTime(message.timestamp));
  time.title = new Date(message.timestamp).toLocaleString();
  time.dateTime = message.timestamp;
  bubble.append(content, time);
  item.append(bubble);
  return item;
}

function renderMessages({ keep }) {
  const scroller = $("message-scroller");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  const atBottom = fromBottom - scroller.clientHeight < 60;
  // Only new bubbles are inserted (in their place): the live region announces those, not the whole history.
  const list = $("message-list");
  [...state.messages.values()].sort(oldestFirst).forEach((message, index) => {
    let item = state.messageItems.get(message.id);
    if (!item) {
      item = messageItem(message);
      state.messageItems.set(message.id, item);
    }
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
    if (!state.messages.has(message.id)) added += 1;
    state.messages.set(message.id, message);
  }
  return added;
}

async function openRoom(roomId) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  const generation = ++state.generation;
  state.openRoomId = roomId;
  state.messages.clear();
  state.messageItems.clear();
  state.olderCursor = null;
  state.rooms.forEach(renderRoomItem);
  $("conversation-title").textContent = contactLabel(room);
  $("message-list").replaceChildren();
  $("app").classList.add("showing-conversation");
  const page = await api(`chat-rooms/${roomId}/messages?${query({ limit: MESSAGE_PAGE })}`);
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
// the overlap is harmless), so a burst longer than a page leaves no gap.
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
  if (added > 0) renderMessages({ keep: "auto" });
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
    if (known && sameRoom(known, room)) continue;
    // A room older than the loaded pages appears when the reader scrolls to it, in its place.
    if (!known && state.roomsCursor !== null && oldestLoaded && newestFirst(room, oldestLoaded) > 0) continue;
    storeRoom(room);
    if (room.id === state.openRoomId && generation === state.generation) await refreshOpenRoom(room);
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
  // The cursor first, then the list: anything that changes in between is reported by the first poll.
  const first = await api("chat-rooms/changes");
  state.changesCursor = first.cursor;
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("live-status").textContent = "Live";
  await reloadRooms();
  schedulePoll();
  const firstRoom = $("room-list").querySelector(".room");
  (firstRoom || $("sign-out")).focus();
}

function signOut(reason) {
  clearTimeout(state.pollTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, freshState(), { generation: state.generation + 1, session: state.session + 1 });
  $("room-list").replaceChildren();
  $("message-list").replaceChildren();
  $("conversation-title").textContent = "Select a conversation";
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
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.openRoomId !== null) closeRoom();
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
