/**
 * The conversation's state bounded by construction (issue 15): each message stored once, the outboxes' queues
 * referring to it by its `seq`; the window of recent messages bounded in bytes as well as in count; every batch an
 * outbox hands an activity cut by bytes as well as by count; the backlog of outboxes that cannot deliver measured,
 * so the API can refuse new messages (429 `conversation_backlogged`) before the state grows past its budget.
 *
 * Pure functions over the JSON-plain state (no Temporal import): they change data, never the commands a workflow
 * produces; where a caller's commands depend on them (a batch's size, a memo upsert) the caller guards the new path
 * with `patched()`. Sizes are measured as Temporal stores them (common/budgets.ts).
 */
import { cutToBudget, jsonBytes, jsonStringBytes } from '../common/budgets';
import {
  sourceLabel,
  type AgentReply,
  type ConversationMessage,
  type JsonValue,
  type OutboxItem,
  type OutboxState,
} from '../common/conversation';
import { DEFAULT_BACKLOG, isBlocked, nextBacklog, type BacklogState } from '../common/backlog';
import { WINDOW_SIZE, type ConversationState, type StoredMessage } from './definitions';

const KB = 1024;

/** `patched()` ids of the new commands: the batch cut by bytes (a batch's size), the backlog's memo upserts. */
export const BATCH_BYTES_PATCH = 'outbox-batch-bytes';
export const BACKLOG_PATCH = 'conversation-backlog-memo';
/** `patched()` id of the wait before continue-as-new until what is carried fits (readyToCarry). */
export const CARRY_PATCH = 'continue-as-new-when-it-fits';

/** The window of recent messages (the API's `GET …/messages`, a reopened outbox's history): at most this many bytes. */
export const WINDOW_BYTES = 96 * KB;
/** One outbox batch (the send activity's input): its items, profile, references and recent history. */
export const BATCH_BYTES = 256 * KB;
/** The recent history a reopened outbox's batch carries (at most 10 messages, the newest first kept). */
export const RECENT_BYTES = 48 * KB;
/**
 * An agent reply's text as the conversation keeps it. The inbound paths cut first (at their own budget); this is
 * the workflow's own defence, for a reply that arrives bigger anyway.
 */
export const AGENT_TEXT_BYTES = 64 * KB;
/** A user message's text and metadata as the conversation keeps them (the API accepts less: 8,000 characters). */
export const USER_TEXT_BYTES = 64 * KB;
export const METADATA_BYTES = 64 * KB;
/** What arrives for the user while an erasure runs, carried into the fresh conversation. */
export const CARRIED_BYTES = 128 * KB;

export function cutMarker(bytes: number, where: string): string {
  return `\n\n[… cut by Parley: the reply was ${Math.ceil(bytes / KB)} kB; read it whole in ${where}]`;
}

/** An agent reply as the conversation keeps it: its text cut at a clear marker when over AGENT_TEXT_BYTES. */
export function boundedReply(reply: AgentReply): { reply: AgentReply; cutFrom?: number } {
  const bytes = jsonStringBytes(reply.text);
  if (bytes <= AGENT_TEXT_BYTES) return { reply };
  const marker = cutMarker(bytes, sourceLabel(reply.source));
  return { reply: { ...reply, text: cutToBudget(reply.text, AGENT_TEXT_BYTES, marker).text }, cutFrom: bytes };
}

/** A user message's text and metadata within the workflow's own budgets (the API's are tighter). */
export function boundedUserParts(
  text: string,
  metadata: Record<string, JsonValue> | undefined,
): { text: string; metadata?: Record<string, JsonValue> } {
  const cut = cutToBudget(text, USER_TEXT_BYTES, '\n\n[… cut by Parley]');
  const out: { text: string; metadata?: Record<string, JsonValue> } = { text: cut.text };
  if (metadata) {
    const bytes = jsonBytes(metadata);
    out.metadata = bytes <= METADATA_BYTES ? metadata : { parleyMetadataDropped: { bytes, limit: METADATA_BYTES } };
  }
  return out;
}

/** The bytes of the messages, each as Temporal stores it (the window's and the held messages' budgets). */
function sumBytes(messages: readonly StoredMessage[]): number {
  let bytes = 0;
  for (const m of messages) bytes += jsonBytes(m);
  return bytes;
}

/** A message's seq, assigned when it is stored. */
function seqOf(message: StoredMessage): number {
  return message.seq ?? -1;
}

function referenced(state: ConversationState): Set<number> {
  const seqs = new Set<number>();
  for (const box of Object.values(state.outboxes))
    for (const item of box.queue) if (item.seq !== undefined) seqs.add(item.seq);
  return seqs;
}

/**
 * Reads the state of a run recorded by older code (continue-as-new input, or a fresh start) into today's shape:
 * queue items that carried a copy of their message refer to it by seq instead, the message kept once (in the
 * window, or among the held ones when it left the window); the window cut to its byte budget. Idempotent.
 */
export function migrateState(state: ConversationState): void {
  if (state.nextSeq === undefined) {
    let seq = 1;
    for (const message of state.messages) message.seq = seq++;
    state.held = [];
    state.heldBytes = 0;
    for (const box of Object.values(state.outboxes)) {
      for (const item of box.queue) {
        const copy = item.message;
        if (!copy) continue;
        const stored =
          state.messages.find((m) => m.id === copy.id && m.at === copy.at) ??
          state.held.find((m) => m.id === copy.id && m.at === copy.at);
        if (stored) item.seq = seqOf(stored);
        else {
          const kept: StoredMessage = { ...copy, seq: seq++ };
          state.held.push(kept);
          state.heldBytes += jsonBytes(kept);
          item.seq = seqOf(kept);
        }
        item.bytes = jsonBytes(copy);
        delete item.message;
      }
    }
    state.nextSeq = seq;
    state.windowBytes = sumBytes(state.messages);
  }
  state.held ??= [];
  state.heldBytes ??= sumBytes(state.held);
  state.windowBytes ??= sumBytes(state.messages);
  trimWindow(state);
}

/** Drops the oldest messages of the window past WINDOW_SIZE or WINDOW_BYTES (keeping the newest); held if queued. */
function trimWindow(state: ConversationState): void {
  let queued: Set<number> | undefined;
  while (
    state.messages.length > WINDOW_SIZE ||
    (state.messages.length > 1 && (state.windowBytes ?? 0) > WINDOW_BYTES)
  ) {
    const old = state.messages.shift() as StoredMessage;
    const bytes = jsonBytes(old);
    state.windowBytes = (state.windowBytes ?? 0) - bytes;
    queued ??= referenced(state);
    if (queued.has(seqOf(old))) {
      (state.held ??= []).push(old);
      state.heldBytes = (state.heldBytes ?? 0) + bytes;
    }
  }
}

/** Stores a new message (giving it its seq) in the window; returns the stored message and its bytes. */
export function storeMessage(state: ConversationState, message: StoredMessage): number {
  message.seq = state.nextSeq ?? 1;
  state.nextSeq = message.seq + 1;
  const bytes = jsonBytes(message);
  state.messages.push(message);
  state.windowBytes = (state.windowBytes ?? 0) + bytes;
  state.updatedAt = message.at;
  trimWindow(state);
  return bytes;
}

/** The stored message a queue item refers to (or the copy an item of an older run still carries). */
export function messageOf(state: ConversationState, item: OutboxItem): StoredMessage | undefined {
  if (item.message) return item.message;
  if (item.seq === undefined) return undefined;
  const seq = item.seq;
  for (let i = state.messages.length - 1; i >= 0; i--) if (state.messages[i]?.seq === seq) return state.messages[i];
  return state.held?.find((m) => m.seq === seq);
}

/** A queue item as a send activity receives it: with its message (the activity's contract, unchanged). */
export function resolveItem(state: ConversationState, item: OutboxItem): OutboxItem {
  const { seq: _seq, bytes: _bytes, message: _copy, ...rest } = item;
  const message = messageOf(state, item);
  return message ? { ...rest, message: withoutSeq(message) } : rest;
}

export function withoutSeq(message: StoredMessage): ConversationMessage {
  const { seq: _seq, ...rest } = message;
  return rest;
}

/** Forgets held messages no outbox refers to any more (after a send took items off a queue). */
export function releaseHeld(state: ConversationState): void {
  if (!state.held || state.held.length === 0) return;
  const queued = referenced(state);
  const kept = state.held.filter((m) => queued.has(seqOf(m)));
  if (kept.length === state.held.length) return;
  state.held = kept;
  state.heldBytes = sumBytes(kept);
}

/** The recent history a reopened outbox's batch carries: the last 10 messages, within RECENT_BYTES. */
export function recentMessages(state: ConversationState, count: number): ConversationMessage[] {
  const recent: ConversationMessage[] = [];
  let bytes = 0;
  for (let i = state.messages.length - 1; i >= 0 && recent.length < count; i--) {
    const message = withoutSeq(state.messages[i] as StoredMessage);
    bytes += jsonBytes(message);
    if (bytes > RECENT_BYTES && recent.length > 0) break;
    recent.unshift(message);
  }
  return recent;
}

/**
 * How many of `box`'s first items go in its next batch: at most `maxItems`, and no more than fit BATCH_BYTES with
 * the batch's fixed part (`fixedBytes`: profile, references, recent history); one item alone however big it is.
 */
export function batchCount(state: ConversationState, box: OutboxState, maxItems: number, fixedBytes: number): number {
  let bytes = fixedBytes;
  let count = 0;
  for (const item of box.queue) {
    if (count >= maxItems) break;
    const size = item.bytes ?? jsonBytes(resolveItem(state, item));
    // eventId, kind, enqueuedAt and the JSON around them.
    bytes += size + 120;
    if (count > 0 && bytes > BATCH_BYTES) break;
    count++;
  }
  return count;
}

/** The backlog's verdict after a change, for the state's outboxes and the app's limits (common/backlog.ts). */
export function checkedBacklog(state: ConversationState, now: number): BacklogState | undefined {
  return nextBacklog(state.outboxes, state.backlogLimits ?? DEFAULT_BACKLOG, state.backlog, now);
}

/** A small non-cryptographic hash (two FNV-1a rounds, 64 bits as hex), to keep long dedupe ids short. */
function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 + 0x1000) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/**
 * How an inbound id is kept among the last 1,000 seen: itself when short, else `#` and a 64-bit hash, so the
 * dedupe list stays small (1,000 ids of 128 characters would be 130 kB of every continue-as-new input).
 */
export function seenKey(id: string): string {
  return id.length <= 32 ? id : `#${hash64(id)}`;
}

/**
 * Whether the state may be carried into the next run now: the messages held for the outboxes are within the
 * backlog's bytes, or the outboxes holding them cannot deliver now (then the API's 429 keeps them bounded). A jam
 * of large messages in a batch window drains in a few sends; continue-as-new waits for that rather than carry it.
 */
export function readyToCarry(state: ConversationState, now: number): boolean {
  const limit = (state.backlogLimits ?? DEFAULT_BACKLOG).bytes;
  if ((state.heldBytes ?? 0) <= limit) return true;
  return Object.values(state.outboxes).every((box) => box.queue.length === 0 || isBlocked(box, now));
}
