/**
 * The conversation's assignment part (Slack for teams, docs/integrations/slack-teams.md): who handles it and where it
 * stands (New → Claimed by an agent → Resolved; the user's next message Reopens it), and what Slack routes are
 * decided on. A change tells the client app (`conversation:assigned`) and Slack (the notice updated in place); the
 * assignee is the `ParleyAssignee` search attribute, and all of it rides in the state across continue-as-new.
 * Workflow code: state changes, one search-attribute upsert per change of assignee, outbox items.
 */
import { upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import {
  outboxKind,
  type Assignment,
  type JsonValue,
  type OutboxItemKind,
  type OutboxState,
  type RoutingFacts,
} from '../common/conversation';
import { ParleyAssignee, type AssignSignal, type ConversationState } from './definitions';

/** Routing facts kept: this many metadata keys, each value at most this many characters (scalars only). */
const ROUTING_KEYS = 16;
const ROUTING_VALUE_CHARS = 200;

export interface AssignmentPart {
  /** A claim, assign, unassign or resolve; false when nothing changed. A resolve leaves the archive to the caller. */
  apply(signal: AssignSignal): boolean;
  /** A user message arrived: a resolved conversation is reopened (its assignee kept). */
  userSpoke(): void;
  /** The first user message's metadata becomes the routing facts (once). */
  noteFirstMetadata(metadata: Record<string, JsonValue> | undefined): void;
  /** The app set the department (`PUT …/conversation`): Slack re-decides the route. */
  setDepartment(department: string | null): void;
  /** The profile changed: Slack re-decides the route (a property may route it elsewhere). */
  profileChanged(): void;
}

function isSlack(box: OutboxState): boolean {
  return outboxKind(box.key) === 'slack';
}

function isClient(box: OutboxState): boolean {
  return outboxKind(box.key) === 'webhook';
}

/** The scalar values of `metadata`, the first ROUTING_KEYS of them, strings cut: small, whatever the app sent. */
export function routingFacts(metadata: Record<string, JsonValue> | undefined): RoutingFacts {
  const facts: RoutingFacts['metadata'] = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (Object.keys(facts).length >= ROUTING_KEYS) break;
    if (key.length > ROUTING_VALUE_CHARS) continue;
    if (typeof value === 'string') facts[key] = value.slice(0, ROUTING_VALUE_CHARS);
    else if (typeof value === 'number' || typeof value === 'boolean') facts[key] = value;
  }
  return { metadata: facts };
}

export function createAssignment(state: ConversationState): AssignmentPart {
  function queue(only: (box: OutboxState) => boolean, kind: OutboxItemKind, assignment?: Assignment): void {
    for (const box of Object.values(state.outboxes)) {
      if (!box.enabled || !only(box)) continue;
      box.queue.push({
        eventId: `evt_${uuid4().replace(/-/g, '')}`,
        kind,
        enqueuedAt: Date.now(),
        ...(assignment ? { assignment } : {}),
      });
    }
  }

  function set(next: Assignment, tellApp: boolean): void {
    const before = state.assignment?.assignee?.id;
    state.assignment = next;
    if (next.assignee?.id !== before)
      upsertSearchAttributes([{ key: ParleyAssignee, value: next.assignee ? next.assignee.id : null }]);
    queue((box) => isSlack(box) || (tellApp && isClient(box)), 'conversation:assigned', next);
  }

  return {
    apply(signal) {
      const at = new Date(Date.now()).toISOString();
      const current = state.assignment;
      const by = signal.by ? { by: signal.by } : {};
      switch (signal.action) {
        case 'claim':
        case 'assign': {
          if (!signal.assignee) return false;
          if (current?.status === 'claimed' && current.assignee?.id === signal.assignee.id) return false;
          set({ status: 'claimed', assignee: signal.assignee, ...by, at }, true);
          return true;
        }
        case 'unassign': {
          if (!current?.assignee) return false;
          set({ status: current.status === 'claimed' ? 'new' : current.status, ...by, at }, true);
          return true;
        }
        case 'resolve': {
          if (current?.status === 'resolved') return false;
          set({ status: 'resolved', ...(current?.assignee ? { assignee: current.assignee } : {}), ...by, at }, true);
          return true;
        }
      }
    },
    userSpoke() {
      const current = state.assignment;
      if (current?.status !== 'resolved') return;
      const at = new Date(Date.now()).toISOString();
      // Slack shows it Reopened; the app sees the user's own message, nothing more.
      set({ status: 'reopened', ...(current.assignee ? { assignee: current.assignee } : {}), at }, false);
    },
    noteFirstMetadata(metadata) {
      if (state.routing || !metadata) return;
      const facts = routingFacts(metadata);
      if (Object.keys(facts.metadata).length > 0) state.routing = facts;
    },
    setDepartment(department) {
      const metadata = { ...(state.routing?.metadata ?? {}) };
      if (department === null) delete metadata.department;
      else metadata.department = department.slice(0, ROUTING_VALUE_CHARS);
      if (metadata.department === state.routing?.metadata.department) return;
      state.routing = { metadata };
      queue(isSlack, 'conversation:routed');
    },
    profileChanged() {
      // Only a conversation Slack has seen is re-routed: the first message decides the rest.
      if (state.refs.slackRoute !== undefined) queue(isSlack, 'conversation:routed');
    },
  };
}
