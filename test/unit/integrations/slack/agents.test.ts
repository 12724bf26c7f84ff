/**
 * Who is an agent (`slack.agents`): listed user ids, members of listed user groups (read from the Slack emulator with
 * the real WebClient), kept a short while and for a bounded number of groups.
 */
import { createSlackAgentDirectory, isUserGroupId } from '../../../../integrations/slack/agents';
import { createSlackClient } from '../../../../integrations/slack/client';
import { startSlackEmulator, type SlackEmulator } from '../../../emulators/slack';

let slack: SlackEmulator;
let group: string;
const ANA = 'U0AGENTANA';
const BOB = 'U0BOB';
const EVE = 'U0EVE';

beforeAll(async () => {
  slack = await startSlackEmulator();
  for (const [id, name] of [
    [ANA, 'Ana'],
    [BOB, 'Bob'],
    [EVE, 'Eve'],
  ] as const)
    slack.addUser({ id, name: name.toLowerCase(), realName: name, email: `${name.toLowerCase()}@acme.example` });
  group = slack.addUserGroup({ handle: 'support', users: [BOB] });
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
});

const client = () => createSlackClient({ botToken: slack.botToken, apiUrl: slack.apiUrl });
const lists = () => slack.callCount('usergroups.users.list');

it('lets everyone in without `agents`, and only the listed users and group members with it', async () => {
  const directory = createSlackAgentDirectory();
  const ask = (agents: string[] | undefined, userId: string) =>
    directory.isAgent({ client: client(), workspace: 'acme', agents, userId });
  expect(await ask(undefined, EVE)).toBe(true);
  expect(await ask([ANA], ANA)).toBe(true);
  expect(await ask([ANA], EVE)).toBe(false);
  const before = lists();
  expect(await ask([ANA, group], ANA)).toBe(true);
  expect(lists()).toBe(before); // a listed user needs no group lookup
  expect(await ask([ANA, group], BOB)).toBe(true);
  expect(await ask([ANA, group], EVE)).toBe(false);
  expect(lists()).toBe(before + 1); // the group's members were read once
});

it('keeps a group a short while: a member removed loses access once it expires', async () => {
  let now = 1_000_000;
  const directory = createSlackAgentDirectory({ ttlMs: 60_000, now: () => now });
  const ask = (userId: string) => directory.isAgent({ client: client(), workspace: 'acme', agents: [group], userId });
  expect(await ask(BOB)).toBe(true);
  slack.setUserGroupMembers(group, [EVE]);
  now += 59_000;
  expect(await ask(BOB)).toBe(true);
  now += 2_000;
  expect(await ask(BOB)).toBe(false);
  expect(await ask(EVE)).toBe(true);
  slack.setUserGroupMembers(group, [BOB]);
});

it('holds at most `max` groups, the least recently used going first, per workspace', async () => {
  const directory = createSlackAgentDirectory({ max: 2 });
  const groups = [0, 1, 2].map((i) => slack.addUserGroup({ handle: `g${i}`, users: [ANA] }));
  for (const g of groups) await directory.isAgent({ client: client(), workspace: 'acme', agents: [g], userId: ANA });
  expect(directory.size).toBe(2);
  await directory.isAgent({ client: client(), workspace: 'other', agents: [groups[2] as string], userId: ANA });
  expect(directory.size).toBe(2);
  expect(() => createSlackAgentDirectory({ max: 0 })).toThrow(RangeError);
});

it('says no by throwing when a group cannot be read, and asks again next time', async () => {
  const directory = createSlackAgentDirectory();
  const ask = (userId: string) =>
    directory.isAgent({ client: client(), workspace: 'acme', agents: [ANA, group], userId });
  slack.failNext('usergroups.users.list', { error: 'missing_scope' });
  await expect(ask(BOB)).rejects.toMatchObject({ code: 'slack_auth_failed' });
  // A listed user is still an agent while the group is unreadable.
  expect(await ask(ANA)).toBe(true);
  expect(await ask(BOB)).toBe(true);
  await expect(
    directory.isAgent({ client: client(), workspace: 'acme', agents: ['S0NOSUCHGRP'], userId: BOB }),
  ).rejects.toMatchObject({ code: 'slack_no_such_subteam' });
});

it('tells user groups from users by their id', () => {
  expect(isUserGroupId('S0614TZR7')).toBe(true);
  for (const id of ['U024BE7LH', 'W012A3CDE']) expect(isUserGroupId(id)).toBe(false);
});
