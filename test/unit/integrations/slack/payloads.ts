/**
 * What Slack posts to Parley, in the shapes of Slack's docs: the slash command form
 * (docs.slack.dev/interactivity/implementing-slash-commands), Events API envelopes (the common event wrapper in
 * shared/specs/slack/slack_common_event_wrapper_schema.json, events from docs.slack.dev/reference/events) and a
 * block_actions payload (docs.slack.dev/reference/interaction-payloads/block_actions-payload). Ids are Slack's
 * example ids; values Parley reads are Parley's (`/sk`, `parley_join`).
 */

/** A slash command's body, form-encoded as Slack sends it, with `text` in place. */
export function slashCommandForm(text: string): string {
  return new URLSearchParams({
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    team_domain: 'example',
    enterprise_id: 'E0001',
    enterprise_name: 'Globular Construct Inc',
    channel_id: 'C2147483705',
    channel_name: 'sk-jane-doe',
    user_id: 'U2147483697',
    user_name: 'Steve',
    command: '/sk',
    text,
    api_app_id: 'A123456',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/1234/5678',
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
}

export const urlVerification = {
  token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
  challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
  type: 'url_verification',
};

/** The outer envelope every Events API callback shares, around `event`. */
export function eventCallback(event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: 'XXYYZZ',
    team_id: 'T123ABC456',
    api_app_id: 'A123ABC456',
    event,
    type: 'event_callback',
    authorizations: [{ team_id: 'T123ABC456', user_id: 'U0PARLEYBOT', is_bot: true, is_enterprise_install: false }],
    event_context: '4-eyJldCI6ImNoYW5uZWxfYXJjaGl2ZSJ9',
    event_id: 'Ev123ABC456',
    event_time: 1_361_482_916,
    authed_users: ['U0PARLEYBOT'],
  };
}

export const events = {
  channelArchive: { type: 'channel_archive', channel: 'C123ABC456', user: 'U123ABC456', event_ts: '1361482916.000003' },
  /** A private channel archived (https://docs.slack.dev/reference/events/group_archive; @slack/types names `user`). */
  groupArchive: { type: 'group_archive', channel: 'C0PRIVATE01', user: 'U123ABC456', event_ts: '1361482916.000004' },
  /** The same as Slack's own example shows it, without `user`. */
  groupArchiveAnonymous: { type: 'group_archive', channel: 'G024BE91L' },
  channelUnarchive: { type: 'channel_unarchive', channel: 'C123ABC456', user: 'U123ABC456', event_ts: '1361482916.1' },
  /** The `message` event of the archive notice: the channel_archive event is the one that counts. */
  archiveMessage: {
    type: 'message',
    subtype: 'channel_archive',
    ts: '1361482916.000003',
    text: '<U1234|@cal> archived the channel',
    user: 'U1234',
    channel: 'C123ABC456',
    channel_type: 'channel',
    event_ts: '1361482916.000003',
  },
  /** Someone typing in a user's channel: stays internal. */
  message: {
    type: 'message',
    channel: 'C123ABC456',
    user: 'U123ABC456',
    text: 'internal note: VIP customer',
    ts: '1355517523.000005',
    event_ts: '1355517523.000005',
    channel_type: 'channel',
  },
  /** `channel` is an object in some events. */
  channelCreated: {
    type: 'channel_created',
    channel: { id: 'C024BE91L', name: 'fun', created: 1_360_782_804, creator: 'U024BE7LH' },
    event_ts: '1360782804.083113',
  },
  memberJoined: {
    type: 'member_joined_channel',
    user: 'W123ABC456',
    channel: 'C123ABC456',
    channel_type: 'C',
    team: 'T123ABC456',
    inviter: 'U123456789',
    event_ts: '1360782804.083113',
  },
};

/** A block_actions payload: a click on one button of a message, as the docs' example (the button Parley's). */
export function blockActions(action: { action_id: string; value?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T9TK3CUKW', domain: 'example' },
    user: { id: 'UA8RXUSPL', username: 'jtorrance', name: 'jtorrance', team_id: 'T9TK3CUKW' },
    api_app_id: 'AABA1ABCD',
    token: '9s8d9as89d8as9d8as989',
    container: { type: 'message', message_ts: '1548261231.000200', channel_id: 'CBR2V3XEX', is_ephemeral: false },
    trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
    channel: { id: 'CBR2V3XEX', name: 'general' },
    enterprise: null,
    is_enterprise_install: false,
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209',
    actions: [
      {
        action_id: action.action_id,
        block_id: '=qXel',
        text: { type: 'plain_text', text: 'Join', emoji: true },
        ...(action.value !== undefined ? { value: action.value } : {}),
        style: 'primary',
        type: 'button',
        action_ts: '1548426417.840180',
      },
    ],
  };
}

/** A modal submitted: not Parley's. */
export const viewSubmission = {
  type: 'view_submission',
  team: { id: 'T9TK3CUKW', domain: 'example' },
  user: { id: 'UA8RXUSPL', username: 'jtorrance', name: 'jtorrance', team_id: 'T9TK3CUKW' },
  api_app_id: 'AABA1ABCD',
  token: '9s8d9as89d8as9d8as989',
  trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
  view: { id: 'VNHU13V36', type: 'modal', callback_id: 'feedback', state: { values: {} } },
};

/** `users.info`'s `user` (docs.slack.dev/reference/methods/users.info), trimmed to what Parley reads and more. */
export const slackUser = {
  id: 'W012A3CDE',
  team_id: 'T012AB3C4',
  name: 'spengler',
  deleted: false,
  real_name: 'Egon Spengler',
  tz: 'America/Los_Angeles',
  profile: {
    title: '',
    phone: '',
    real_name: 'Egon Spengler',
    real_name_normalized: 'Egon Spengler',
    display_name: 'spengler',
    email: 'spengler@ghostbusters.example.com',
    image_192: 'https://a.slack-edge.com/80588/img/avatars/ava_0002-192.png',
  },
  is_admin: true,
  is_bot: false,
};
