import type { ConversationMessage, UserProfile } from '../../workflows/definitions';
import { displayName } from '../../workflows/definitions';

export const SOURCE_LABELS: Record<string, string> = {
  slack: 'Slack',
  zendesk: 'Zendesk',
  helpscout: 'Help Scout',
  email: 'email',
  api: 'the API',
  test: 'the test integration',
};

export function sourceLabel(source: string | undefined): string {
  return (source && SOURCE_LABELS[source.split(':')[0] ?? source]) ?? source ?? 'another integration';
}

export function userLabel(profile: UserProfile, userId: string): string {
  return displayName(profile) ?? userId;
}

export function channelHeader(profile: UserProfile, userId: string, appName: string): string {
  const who = userLabel(profile, userId);
  const email = profile.email && profile.email !== who ? ` (${profile.email})` : '';
  return [
    `:speech_balloon: Conversation with *${who}*${email} from ${appName}.`,
    'Reply to the user with `/sk your message`; anything else said here stays internal.',
    '`/sk !profile` shows the profile, `/sk !archive` (or archiving the channel) archives the conversation.',
  ].join('\n');
}

export function dispatchText(
  profile: UserProfile,
  userId: string,
  channelId: string,
  appName: string,
  reopened: boolean,
): string {
  const who = userLabel(profile, userId);
  return reopened
    ? `:arrows_counterclockwise: *${who}* (${appName}) wrote again: <#${channelId}>`
    : `:new: New conversation with *${who}* (${appName}): <#${channelId}>`;
}

export function mirroredReply(message: ConversationMessage): string {
  return `↩ ${message.agent?.name ?? 'An agent'} via ${sourceLabel(message.source)}: ${message.text}`;
}

export function recentHistory(messages: ConversationMessage[], profile: UserProfile, userId: string): string {
  const lines = messages.map((m) => {
    const who =
      m.role === 'user' ? userLabel(profile, userId) : `${m.agent?.name ?? 'Agent'} (${sourceLabel(m.source)})`;
    return `> *${who}*: ${m.text.replace(/\n/g, '\n> ')}`;
  });
  return [':scroll: Earlier in this conversation:', ...lines].join('\n');
}

export function profileText(profile: UserProfile, userId: string): string {
  const lines = [`*${userLabel(profile, userId)}*`, `User id: ${userId}`];
  if (profile.email) lines.push(`Email: ${profile.email}`);
  for (const [title, record] of [
    ['Properties', profile.properties],
    ['Device', profile.device],
  ] as const) {
    if (record && Object.keys(record).length > 0) {
      lines.push(`${title}:`);
      for (const [k, v] of Object.entries(record))
        lines.push(`  • ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  }
  return lines.join('\n');
}
