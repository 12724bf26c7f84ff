/**
 * The App Home tab (issue 18, "Slack for teams"): an agent's claimed conversations and the unclaimed ones of their
 * routes, newest first, each with its waiting time, its last message quoted and a link to its channel. Pure: the
 * glue (api/slack.ts) lists the conversations and publishes what this builds with `views.publish`.
 *
 * Every user-controlled string (names, message texts, route names) goes through `userText`; the only markup is
 * Parley's own: bold, quotes, emoji, `<#C…>` links to channels Slack gave Parley.
 */
import type { ViewsPublishArguments } from '@slack/web-api';
import { cutText, type ConversationSummary } from '../../common/conversation';
import { cleanName, userText } from './format';
import { isSlackChannelId } from './inbound';

/** At most this many conversations in each list: the Home stays far below Slack's 100 blocks. */
export const HOME_LIST_MAX = 20;
/** Slack's limit for a Home tab (docs.slack.dev/reference/block-kit/blocks). */
export const HOME_MAX_BLOCKS = 100;

export type HomeView = ViewsPublishArguments['view'];
type Block = HomeView['blocks'][number];

const MINUTE = 60_000;

/** How long someone has waited, as a person says it: `waiting 12 min`, `waiting 3 h 5 min`, `waiting 2 d`. */
export function waitingText(since: string, now: number): string {
  const ms = Math.max(0, now - Date.parse(since));
  if (!Number.isFinite(ms)) return 'waiting';
  const minutes = Math.floor(ms / MINUTE);
  if (minutes < 1) return 'waiting under a minute';
  if (minutes < 60) return `waiting ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `waiting ${hours} h` : `waiting ${hours} h ${minutes % 60} min`;
  return `waiting ${Math.floor(hours / 24)} d`;
}

/** Newest first, by the last message (a conversation without one last), at most HOME_LIST_MAX. */
export function newestFirst(conversations: readonly ConversationSummary[]): ConversationSummary[] {
  const at = (c: ConversationSummary) => (c.lastMessage ? Date.parse(c.lastMessage.at) || 0 : 0);
  return [...conversations].sort((a, b) => at(b) - at(a)).slice(0, HOME_LIST_MAX);
}

/** Who wrote the last message, for the quote: the user, the agent by name, or the app's bot. */
function author(conversation: ConversationSummary): string {
  const last = conversation.lastMessage;
  if (!last || last.role === 'user') return userText(cleanName(conversation.userLabel) || conversation.userId);
  if (last.role === 'bot') return 'Bot';
  return userText(cleanName(last.agentName ?? '') || 'An agent');
}

/** One conversation: the user, how long they wait, the channel; the last message quoted below. */
export function conversationBlock(conversation: ConversationSummary, now: number, showRoute: boolean): Block {
  const name = userText(cleanName(conversation.userLabel) || conversation.userId);
  const facts = [`*${name}*`];
  facts.push(conversation.waitingSince ? `:hourglass: ${waitingText(conversation.waitingSince, now)}` : 'answered');
  if (showRoute && conversation.route) facts.push(`route ${userText(conversation.route)}`);
  const channel = conversation.slackChannelId;
  if (channel && isSlackChannelId(channel)) facts.push(`<#${channel}>`);
  const lines = [facts.join(' · ')];
  const last = conversation.lastMessage;
  if (last) {
    const text = userText(last.text).replace(/\n/g, '\n>');
    lines.push(`>*${author(conversation)}:* ${text}`);
  }
  return { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } };
}

function list(
  title: string,
  empty: string,
  conversations: readonly ConversationSummary[],
  now: number,
  showRoute: boolean,
): Block[] {
  const shown = newestFirst(conversations);
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${title}* (${conversations.length})` } }];
  if (shown.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: empty }] });
  for (const conversation of shown) blocks.push(conversationBlock(conversation, now, showRoute));
  return blocks;
}

export interface AgentHome {
  /** The app's name (config), shown in the header. */
  appName: string;
  claimed: readonly ConversationSummary[];
  unclaimed: readonly ConversationSummary[];
  /** Epoch ms: waiting times count to it. */
  now: number;
}

/** The Home of an agent: a header, "Claimed by you" and "Unclaimed on your routes", each newest first. */
export function agentHomeView(home: AgentHome): HomeView {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: cutPlain(`${home.appName}: your conversations`) } },
    ...list(
      'Claimed by you',
      'Nothing claimed: claim a conversation from its dispatch notice.',
      home.claimed,
      home.now,
      false,
    ),
    { type: 'divider' },
    ...list(
      'Unclaimed on your routes',
      'Every conversation of your routes is claimed.',
      home.unclaimed,
      home.now,
      true,
    ),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Updated ${new Date(home.now).toISOString().slice(11, 16)} UTC. Open a channel to answer with \`/sk\`.`,
        },
      ],
    },
  ];
  return { type: 'home', blocks: blocks.slice(0, HOME_MAX_BLOCKS) };
}

/** The Home of a member who is not an agent: why there is nothing here. `reason` is Parley's own text. */
export function notAgentHomeView(appName: string, reason: string): HomeView {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cutPlain(appName) } },
      { type: 'section', text: { type: 'mrkdwn', text: reason } },
    ],
  };
}

/** A header's plain text holds at most 150 characters. */
function cutPlain(text: string): string {
  return cutText(text, 150);
}
