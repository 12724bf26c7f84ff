/** Channel names and avatars: pure functions, unit-tested. */
import { createHash } from 'node:crypto';
import { cleanName } from '../../common/text';

export const CHANNEL_PREFIX = 'sk-';
const MAX_NAME = 80;

/** Slack's rules: lowercase letters, digits, `-` and `_`, at most 80 characters; accents folded. */
export function slugify(text: string): string {
  return cleanName(text)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

const ADJECTIVES = [
  'amber',
  'brave',
  'calm',
  'clever',
  'gentle',
  'happy',
  'lucky',
  'misty',
  'quiet',
  'rapid',
  'sunny',
  'swift',
  'tidy',
  'vivid',
  'witty',
  'zesty',
];
const NOUNS = [
  'badger',
  'comet',
  'falcon',
  'harbor',
  'heron',
  'lantern',
  'maple',
  'meadow',
  'otter',
  'pebble',
  'river',
  'robin',
  'sparrow',
  'tulip',
  'walrus',
  'willow',
];

/** Two words picked from the conversation id, so a retried creation asks for the same name. */
export function randomWords(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return `${ADJECTIVES[(h[0] ?? 0) % ADJECTIVES.length]}-${NOUNS[(h[1] ?? 0) % NOUNS.length]}`;
}

export interface NameSource {
  givenName?: string;
  surname?: string;
  email?: string;
}

/** `sk-<given>-<surname>`, else `sk-<email local part>`, else `sk-<two words>`; `suffix` ≥ 2 for collisions. */
export function channelName(profile: NameSource, seed: string, suffix?: number): string {
  const base =
    slugify([profile.givenName, profile.surname].filter(Boolean).join(' ')) ||
    slugify(profile.email?.split('@')[0] ?? '') ||
    randomWords(seed);
  const tail = suffix && suffix > 1 ? `-${suffix}` : '';
  const room = MAX_NAME - CHANNEL_PREFIX.length - tail.length;
  return `${CHANNEL_PREFIX}${base.slice(0, room).replace(/[-_]+$/, '')}${tail}`;
}
