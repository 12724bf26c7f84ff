/** The Slack channel cache: bounded, least recently used out first, one namespace per workspace. */
import { SLACK_CHANNEL_CACHE_MAX, createSlackChannelCache } from '../../../../integrations/slack/cache';

it('holds at most 10,000 channel ids by default', () => {
  expect(SLACK_CHANNEL_CACHE_MAX).toBe(10_000);
  const cache = createSlackChannelCache();
  for (let i = 0; i < 12_000; i++) cache.set('ws', `channel-${i}`, `C${i}`);
  expect(cache.size).toBe(10_000);
  expect(cache.get('ws', 'channel-0')).toBeUndefined();
  expect(cache.get('ws', 'channel-1999')).toBeUndefined();
  expect(cache.get('ws', 'channel-2000')).toBe('C2000');
  expect(cache.get('ws', 'channel-11999')).toBe('C11999');
});

it('drops the least recently used: a lookup keeps an entry', () => {
  const cache = createSlackChannelCache(2);
  cache.set('ws', 'general', 'C1');
  cache.set('ws', 'support', 'C2');
  expect(cache.get('ws', 'general')).toBe('C1');
  cache.set('ws', 'sales', 'C3');
  expect(cache.get('ws', 'support')).toBeUndefined();
  expect(cache.get('ws', 'general')).toBe('C1');
  expect(cache.get('ws', 'sales')).toBe('C3');
  // Setting again refreshes without growing.
  cache.set('ws', 'sales', 'C4');
  expect(cache.size).toBe(2);
  expect(cache.get('ws', 'sales')).toBe('C4');
});

it('keeps workspaces apart', () => {
  const cache = createSlackChannelCache();
  cache.set('https://slack.com/api/|abc123', 'general', 'C1');
  cache.set('https://slack.com/api/|def456', 'general', 'C2');
  expect(cache.get('https://slack.com/api/|abc123', 'general')).toBe('C1');
  expect(cache.get('https://slack.com/api/|def456', 'general')).toBe('C2');
  expect(cache.get('https://slack.com/api/|ghi789', 'general')).toBeUndefined();
});

it('refuses a bound that holds nothing', () => {
  expect(() => createSlackChannelCache(0)).toThrow(RangeError);
  expect(() => createSlackChannelCache(1.5)).toThrow(RangeError);
});
