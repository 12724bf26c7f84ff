/**
 * Routes (`slack.routes`, docs/integrations/slack-teams.md): which dispatch channel a conversation's notice goes to
 * and which agents handle it, first match wins, decided on the user's profile properties and the conversation's
 * metadata (its first message's, with `department` as the app set it). Pure: the adapter decides where to post,
 * the API who may claim.
 */
import type { SlackRouteConfig, SlackRouteWhen } from '../../common/config';
import type { JsonValue, RoutingFacts, UserProfile } from '../../common/conversation';

/** The route of a conversation no configured route matches. */
export const DEFAULT_ROUTE = 'default';

export interface SlackRoute {
  name: string;
  /** The dispatch channel, by name or id. */
  channel: string;
  /** User and user group ids; undefined lets every member of the workspace in. */
  agents?: readonly string[] | undefined;
}

export interface RoutesConfig {
  dispatchChannel: string;
  agents?: readonly string[] | undefined;
  routes?: readonly SlackRouteConfig[] | undefined;
}

function same(a: JsonValue | undefined, b: string | number | boolean): boolean {
  // `plan: 3` in the profile matches `equals: "3"` in YAML and the other way round: people write both.
  return a !== undefined && a !== null && typeof a !== 'object' && String(a) === String(b);
}

function matches(when: SlackRouteWhen, profile: UserProfile, facts: RoutingFacts | undefined): boolean {
  const value = 'property' in when ? profile.properties?.[when.property] : facts?.metadata?.[when.metadata];
  if ('equals' in when) return same(value, when.equals);
  return when.in.some((candidate) => same(value, candidate));
}

/** The route a conversation takes: the first that matches, else the app's dispatch channel and agents. */
export function decideRoute(config: RoutesConfig, profile: UserProfile, facts: RoutingFacts | undefined): SlackRoute {
  for (const route of config.routes ?? []) {
    if (!route.when || matches(route.when, profile, facts))
      return { name: route.name, channel: route.channel, agents: route.agents ?? config.agents };
  }
  return { name: DEFAULT_ROUTE, channel: config.dispatchChannel, agents: config.agents };
}

/** A route by name (the one a conversation was given); the default when it is gone from the config. */
export function routeNamed(config: RoutesConfig, name: string | undefined): SlackRoute {
  const route = name === undefined ? undefined : config.routes?.find((r) => r.name === name);
  return route
    ? { name: route.name, channel: route.channel, agents: route.agents ?? config.agents }
    : { name: DEFAULT_ROUTE, channel: config.dispatchChannel, agents: config.agents };
}
