/**
 * Slack's rendering of the shared renderers (common/conversation.ts): the same words every integration uses,
 * laid out in mrkdwn, and the texts Parley answers slash commands with.
 *
 * Every string a user, an agent, a vendor or a client app controls goes into mrkdwn through `userText`, and only
 * through it: what they typed arrives as data, never as markup (a special mention, a user or channel reference, a
 * link with a label of its choosing). The only markup in these texts is Parley's own: `*bold*` around names, `>`
 * quotes, `<#C…>` links to channels Parley made, emoji.
 */
import {
  HANDOFF_HISTORY_HEADING,
  handoffText,
  HISTORY_HEADING,
  historyLines,
  mirroredReply as mirroredReplyText,
  deviceRows,
  propertyRows,
  userLabel,
  userRows,
  type Assignment,
  type ConversationMessage,
  type HandoffInfo,
  type UserProfile,
} from '../../common/conversation';
import { isSlackChannelId } from './inbound';

/**
 * A user-controlled string on its way into mrkdwn (names, emails, message texts, profile rows, agents' names and
 * replies from other vendors), escaped as Slack asks: `&`, `<` and `>` become `&amp;`, `&lt;`, `&gt;`. That alone
 * turns `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<https://evil|https://acme.com>` into the text they were
 * typed as (https://docs.slack.dev/messaging/formatting-message-text#escaping). `*`, `_`, `~` and `` ` `` have no
 * escape in mrkdwn and stay: a user can make their own words bold, never ping, link or mention.
 */
export function userText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A name as people should read it: control, format (bidi overrides, zero-width) and line-separator characters
 * removed, runs of whitespace made one space. A name cannot reverse the text after it, hide in plain sight, or push
 * what follows it onto another line.
 */
export function cleanName(name: string): string {
  return name
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** What marks a post as the end user's, after their name: fixed, so no user (or app name) can choose it. */
export const USER_MARKER = '(user)';

/** Slack shows about 80 characters of a post's author name; the name is cut first, so the marker always shows. */
const MAX_USERNAME = 80;

/**
 * The `username` of a post made for the end user: their cleaned name and the marker (`Jane Doe (user)`), so a user
 * who calls themself "IT Security", a workspace member's name or the app's cannot pass for them. Slack shows
 * `username` as plain text, where `&lt;` would show as typed; its angle brackets become `‹ ›` instead, so no
 * rendering of it can ever read a mention or a link into it.
 */
export function userPostName(profile: UserProfile, userId: string): string {
  const name = (cleanName(userLabel(profile, userId)) || cleanName(userId) || 'Anonymous')
    .replace(/</g, '‹')
    .replace(/>/g, '›');
  const chars = [...name];
  const room = MAX_USERNAME - USER_MARKER.length - 1;
  const cut =
    chars.length > room
      ? `${chars
          .slice(0, room - 1)
          .join('')
          .trimEnd()}…`
      : name;
  return `${cut} ${USER_MARKER}`;
}

/** The user's label for mrkdwn, cleaned and escaped. */
function who(profile: UserProfile, userId: string): string {
  return userText(cleanName(userLabel(profile, userId)) || userId);
}

export function channelHeader(profile: UserProfile, userId: string, appName: string): string {
  const label = userLabel(profile, userId);
  const email = profile.email && profile.email !== label ? ` (${userText(profile.email)})` : '';
  return [
    `:speech_balloon: Conversation with *${who(profile, userId)}*${email} from ${userText(appName)}.`,
    'Reply to the user with `/sk your message`; anything else said here stays internal.',
    '`/sk !profile` shows the profile, `/sk !archive` (or archiving the channel) archives the conversation, ' +
      '`/sk !bot` hands it back to the app’s bot.',
  ].join('\n');
}

export function dispatchText(
  profile: UserProfile,
  userId: string,
  channelId: string,
  appName: string,
  reopened: boolean,
): string {
  const label = who(profile, userId);
  const app = userText(appName);
  // The channel id is Slack's own answer to conversations.create; checked anyway, so no id can carry markup.
  const link = isSlackChannelId(channelId) ? `<#${channelId}>` : userText(channelId);
  return reopened
    ? `:arrows_counterclockwise: *${label}* (${app}) wrote again: ${link}`
    : `:new: New conversation with *${label}* (${app}): ${link}`;
}

/** Who an assignment names, for mrkdwn: their cleaned, escaped name (a mention would ping them at every update). */
function agentLabel(agent: { name: string } | undefined): string {
  return agent ? `*${userText(cleanName(agent.name) || 'an agent')}*` : 'an agent';
}

/**
 * Threads mode: the thread's parent in the route's channel (no user channel to link). Reopened, it says so; the
 * user's message that reopened it is broadcast to the channel under it.
 */
export function threadParentText(profile: UserProfile, userId: string, appName: string, reopened: boolean): string {
  const label = who(profile, userId);
  const app = userText(appName);
  return reopened
    ? `:arrows_counterclockwise: *${label}* (${app}) wrote again: the thread is open again.`
    : `:new: New conversation with *${label}* (${app}): reply in the thread.`;
}

/** Threads mode: how the team works a thread, under the parent's text. */
export function threadHelpLine(notePrefix: string): string {
  return (
    `\nReply in the thread to answer the user; a reply starting with \`${userText(notePrefix)}\` stays an internal ` +
    'note. :white_check_mark: on this message resolves it.'
  );
}

/** Threads mode: the line an archive leaves in the thread (Slack archives nothing: the thread stays). */
export const THREAD_ARCHIVED_LINE =
  ':file_folder: Archived: the thread stays here, and the next message from the user reopens it.';

/** Threads mode: the line above the user's message that reopens the thread (that message is broadcast). */
export const THREAD_REOPENED_LINE = ':arrows_counterclockwise: The user wrote again: this thread is open again.';

/**
 * The status line of a dispatch notice (updated in place at each change): New, Claimed by Ana, Resolved by Ana,
 * Reopened (claimed by Ana).
 */
export function statusLine(assignment: Assignment | undefined): string {
  switch (assignment?.status) {
    case undefined:
    case 'new':
      return ':large_blue_circle: *Status:* New, unclaimed';
    case 'claimed':
      return `:raising_hand: *Status:* Claimed by ${agentLabel(assignment.assignee)}`;
    case 'resolved':
      return `:white_check_mark: *Status:* Resolved by ${agentLabel(assignment.by ?? assignment.assignee)}`;
    case 'reopened':
      return assignment.assignee
        ? `:arrows_counterclockwise: *Status:* Reopened, claimed by ${agentLabel(assignment.assignee)}`
        : ':arrows_counterclockwise: *Status:* Reopened, unclaimed';
  }
}

/** The line the user's channel shows when the status changes. */
export function assignmentNotice(assignment: Assignment): string {
  switch (assignment.status) {
    case 'new':
      return `:wave: ${agentLabel(assignment.by)} unassigned this conversation.`;
    case 'claimed':
      return assignment.by && assignment.by.id !== assignment.assignee?.id
        ? `:raising_hand: ${agentLabel(assignment.by)} assigned this conversation to ${agentLabel(assignment.assignee)}.`
        : `:raising_hand: ${agentLabel(assignment.assignee)} claimed this conversation.`;
    case 'resolved':
      return `:white_check_mark: ${agentLabel(assignment.by ?? assignment.assignee)} resolved this conversation.`;
    case 'reopened':
      return ':arrows_counterclockwise: The user wrote again: the conversation is reopened.';
  }
}

/** The old notice of a conversation that moved to another route's channel. */
export function movedNotice(channelId: string, route: string): string {
  const link = isSlackChannelId(channelId) ? `<#${channelId}>` : userText(channelId);
  return `:twisted_rightwards_arrows: Moved to ${link} (route ${userText(route)}).`;
}

/** The new route's notice says where the conversation came from. */
export function movedFromLine(fromChannelId: string | undefined): string {
  if (!fromChannelId || !isSlackChannelId(fromChannelId)) return '';
  return `\n:twisted_rightwards_arrows: Moved here from <#${fromChannelId}>.`;
}

export const CLAIMED_CONFIRMATION = ':raising_hand: Claimed: the conversation is yours.';
export const RESOLVED_CONFIRMATION =
  ':white_check_mark: Resolved: the conversation is archived until the user writes again.';

export function assignedConfirmation(name: string): string {
  return `:raising_hand: Assigned to ${agentLabel({ name })}.`;
}

/** Told to a member who may not claim, or be assigned, on this conversation's route. */
export function notOnRouteText(route: string): string {
  return `:no_entry: Only the agents of the route ${userText(route)} can handle this conversation.`;
}

/** A user's message as posted in their channel. */
export function userMessageText(message: Pick<ConversationMessage, 'text'>): string {
  return userText(message.text);
}

/** A reply from another integration: `↩ Ana via Zendesk: …`; the shared wording holds no markup, so all of it is text. */
export function mirroredReply(message: ConversationMessage): string {
  const agent = message.agent ? { ...message.agent, name: cleanName(message.agent.name) } : undefined;
  return userText(mirroredReplyText({ source: message.source, agent, text: message.text }));
}

export function recentHistory(messages: ConversationMessage[], profile: UserProfile, userId: string): string {
  const lines = historyLines(messages, profile, userId).map(
    (line) => `> *${userText(cleanName(line.who))}*: ${userText(line.text).replace(/\n/g, '\n> ')}`,
  );
  return [`:scroll: ${HISTORY_HEADING}`, ...lines].join('\n');
}

/** A change of control, as the channel shows it. */
export function handoffNotice(handoff: HandoffInfo): string {
  const icon = handoff.to === 'team' ? ':raising_hand:' : ':robot_face:';
  const who = handoff.by ? { ...handoff, by: cleanName(handoff.by) } : handoff;
  return `${icon} ${userText(handoffText(who))}`;
}

/** The exchange with the bot before a handoff, quoted. */
export function botHistory(messages: ConversationMessage[], profile: UserProfile, userId: string): string {
  const lines = historyLines(messages, profile, userId).map(
    (line) => `> *${userText(cleanName(line.who))}*: ${userText(line.text).replace(/\n/g, '\n> ')}`,
  );
  return [`:scroll: ${HANDOFF_HISTORY_HEADING}`, ...lines].join('\n');
}

/** How a reply reached the user (`✉ Emailed …`, `✓ Read …`): Parley's words around the user's text, escaped. */
export function deliveryNotice(notice: string): string {
  return userText(notice);
}

export const HANDED_BACK_CONFIRMATION =
  ':robot_face: Handed back to the bot: the user’s messages stay with it until it hands over again.';

export function profileText(profile: UserProfile, userId: string): string {
  const row = ([k, v]: readonly [string, string]) => `${userText(k)}: ${userText(v)}`;
  const lines = [`*${who(profile, userId)}*`];
  for (const r of userRows(profile, userId)) if (r[0] !== 'Name') lines.push(row(r));
  for (const [title, rows] of [
    ['Properties', propertyRows(profile)],
    ['Device', deviceRows(profile)],
  ] as const) {
    if (rows.length > 0) lines.push(`${title}:`, ...rows.map((r) => `  • ${row(r)}`));
  }
  return lines.join('\n');
}

// ── Answers to `/sk` ────────────────────────────────────────────────────────────────────────────────────────

/** `/sk` outside a user's channel (or from a workspace that is not the app's). */
export function noPowerText(command: string): string {
  return `${command} has no power here: this channel is not linked to a user. Use it in a user's \`sk-\` channel.`;
}

/**
 * To a workspace member who is not in `slack.agents`, after `/sk` or Join: shown to them only, and nothing happened.
 * `appName` comes from the config, escaped all the same.
 */
export function notAgentText(appName: string): string {
  return (
    `:lock: Sorry, you are not an agent here: only ${userText(appName)}'s support team can answer its users, ` +
    'join their channels or archive them. Nothing was sent. Ask whoever runs Parley to add you to its agents.'
  );
}

/** When Slack would not say whether the user is an agent (a user group it could not list): no, for now. */
export const AGENT_CHECK_FAILED_TEXT =
  ":warning: Parley could not check that you are one of this app's agents (Slack did not list the agents' user " +
  'group), so nothing was sent. Try again in a minute; if it keeps happening, ask whoever runs Parley.';

export function usageText(command: string): string {
  return (
    `Usage: \`${command} your reply\`, \`${command} !profile\`, \`${command} !claim\`, ` +
    `\`${command} !assign @name\`, \`${command} !resolve\`, \`${command} !archive\`, \`${command} !bot\``
  );
}

export const ARCHIVED_CONFIRMATION = ':file_cabinet: Conversation archived. The next message from the user reopens it.';

/** Said at once when the answer takes longer than Slack waits; the real answer follows through `response_url`. */
export const ACK_TEXT = 'On it…';

/** In the channel, after `/sk <reply>`: who it went to, who sent it, and the reply quoted. */
export function sentConfirmation(profile: UserProfile, userId: string, agentName: string, text: string): string {
  const quoted = userText(text).replace(/\n/g, '\n>');
  return `:white_check_mark: Sent to ${who(profile, userId)} by ${userText(cleanName(agentName))}:\n>${quoted}`;
}

/** Appended to `/sk`'s confirmation when the reply was over its budget and the user received it cut. */
export function replyCutNotice(bytes: number, limit: number): string {
  return (
    `\n:warning: Your reply was ${bytes.toLocaleString('en-US')} bytes, over Parley's limit of ` +
    `${limit.toLocaleString('en-US')}: the user received the beginning of it, ending with "[cut: …]". ` +
    'Send the rest as another reply.'
  );
}

/** `/sk`'s answer when Temporal cannot take the command right now (nothing was sent). */
export const TEMPORAL_UNAVAILABLE_TEXT =
  ':hourglass: Parley cannot reach its workflow engine right now, so nothing was sent. Try again in a moment.';

// ── The "Send to user" message shortcut ─────────────────────────────────────────────────────────────────────

/** The shortcut on one of Parley's (or another app's) posts: those are never an agent's words. */
export const BOT_POST_TEXT =
  ':no_entry: *Send to user* works on what a person wrote in this channel: this message was posted by an app ' +
  '(the user already has their own messages, and Parley’s notices stay internal). Nothing was sent.';

/** The shortcut on a message with no text. */
export const EMPTY_MESSAGE_TEXT = ':no_entry: This message has no text to send, so nothing was sent.';

/** The shortcut used again on a message the user already received. */
export const ALREADY_SENT_TEXT = ':white_check_mark: The user already received this message: it was not sent again.';

/** Appended to the confirmation when some of the message's files could not be sent (too large, refused): named. */
export function filesNotSentNotice(names: readonly string[]): string {
  const which = names.length === 1 ? 'This file was' : `These ${names.length} files were`;
  return `\n:paperclip: ${which} not sent (too large, a type not accepted, or not fetched): ${names.join(', ')}.`;
}

/** The shortcut failed on Parley's side: the agent may try again (a message sent twice reaches the user once). */
export const SHORTCUT_FAILED_TEXT =
  ':warning: Parley could not finish sending this message. Use *Send to user* on it again in a moment: ' +
  'the user receives it once either way.';
