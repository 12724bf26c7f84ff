/**
 * Admin console sessions. Signing in with an admin key opens a session: a random id in an HttpOnly, SameSite=Strict
 * cookie (`Secure` when Parley is reached over https), never the key. The store is this process's memory, keyed by
 * the id's SHA-256 (the map holds nothing a cookie could be rebuilt from), bounded (the oldest session goes first)
 * and expiring (an absolute lifetime and an idle timeout). Every session has its own CSRF token, which every form
 * posts back; the sign-in form, before any session exists, has a double-submit token in a cookie of its own.
 *
 * Behind several API replicas a session lives in the replica that opened it: route `/admin` sticky, or sign in again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export const ADMIN_SESSION_MS = 8 * 60 * 60 * 1000;
export const ADMIN_IDLE_MS = 60 * 60 * 1000;
export const ADMIN_SESSIONS_MAX = 1000;
/** Notices waiting for the next page of a session (the result of an action, shown after its redirect). */
const FLASH_MAX = 5;
const FLASH_TEXT_MAX = 4000;

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

export interface AdminSession {
  readonly csrf: string;
  readonly createdAt: number;
  expiresAt: number;
  idleUntil: number;
  flash: Flash[];
}

export interface AdminSessionOptions {
  /** `Secure` cookies whatever the request says (`server.publicUrl` is https). */
  secure?: boolean;
  now?: () => number;
  max?: number;
  lifetimeMs?: number;
  idleMs?: number;
}

export interface AdminSessions {
  /** Opens a session and sets its cookie (a session the request already had is closed first). */
  open(req: Request, res: Response): AdminSession;
  /** The request's live session, its idle timeout renewed; undefined when none, expired or unknown. */
  current(req: Request): AdminSession | undefined;
  /** Closes the request's session and clears its cookie. */
  close(req: Request, res: Response): void;
  /** Whether `presented` is the session's CSRF token (timing-safe). */
  verifyCsrf(session: AdminSession, presented: unknown): boolean;
  /** The sign-in form's token: the one in the request's cookie, else a new one set as a cookie. */
  loginToken(req: Request, res: Response): string;
  /** Whether the sign-in form posted back the token of its cookie. */
  verifyLoginToken(req: Request, presented: unknown): boolean;
  /** For the Slack install route: the request comes from a signed-in admin. */
  isAdminSession(req: Request): boolean;
  flash(session: AdminSession, notice: Flash): void;
  takeFlash(session: AdminSession): Flash[];
  size(): number;
}

const SESSION_COOKIE = 'parley_admin';
const LOGIN_COOKIE = 'parley_admin_login';
const ID = /^[A-Za-z0-9_-]{43}$/;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
const newId = (): string => randomBytes(32).toString('base64url');

/** A cookie's value from the header; ids are base64url, so anything else is no cookie at all. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return ID.test(value) ? value : undefined;
  }
  return undefined;
}

export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function createAdminSessions(options: AdminSessionOptions = {}): AdminSessions {
  const now = options.now ?? Date.now;
  const max = options.max ?? ADMIN_SESSIONS_MAX;
  const lifetimeMs = options.lifetimeMs ?? ADMIN_SESSION_MS;
  const idleMs = options.idleMs ?? ADMIN_IDLE_MS;
  const sessions = new Map<string, AdminSession>();
  const keyOf = (id: string): string => digest(id).toString('base64url');

  // Behind https the cookie is `__Host-` prefixed: the browser then insists on Secure, Path=/ and no Domain.
  const secureFor = (req: Request): boolean => options.secure === true || req.secure;
  const cookieName = (req: Request, name: string): string => (secureFor(req) ? `__Host-${name}` : name);
  const attributes = (req: Request, maxAgeS: number): string =>
    `Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secureFor(req) ? '; Secure' : ''}`;
  const setCookie = (req: Request, res: Response, name: string, value: string, maxAgeS: number): void => {
    res.append('Set-Cookie', `${cookieName(req, name)}=${value}; ${attributes(req, maxAgeS)}`);
  };

  function live(key: string, at: number): AdminSession | undefined {
    const s = sessions.get(key);
    if (!s) return undefined;
    if (s.expiresAt <= at || s.idleUntil <= at) {
      sessions.delete(key);
      return undefined;
    }
    return s;
  }

  function sessionId(req: Request): string | undefined {
    return readCookie(req, cookieName(req, SESSION_COOKIE));
  }

  function current(req: Request): AdminSession | undefined {
    const id = sessionId(req);
    if (!id) return undefined;
    const at = now();
    const s = live(keyOf(id), at);
    if (s) s.idleUntil = Math.min(s.expiresAt, at + idleMs);
    return s;
  }

  return {
    open(req, res) {
      const old = sessionId(req);
      if (old) sessions.delete(keyOf(old));
      const at = now();
      for (const [k, s] of sessions) if (s.expiresAt <= at || s.idleUntil <= at) sessions.delete(k);
      while (sessions.size >= max) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      const id = newId();
      const session: AdminSession = {
        csrf: newId(),
        createdAt: at,
        expiresAt: at + lifetimeMs,
        idleUntil: at + Math.min(idleMs, lifetimeMs),
        flash: [],
      };
      sessions.set(keyOf(id), session);
      setCookie(req, res, SESSION_COOKIE, id, Math.floor(lifetimeMs / 1000));
      // The sign-in token has done its job; a new one is made for the next sign-in.
      setCookie(req, res, LOGIN_COOKIE, '', 0);
      return session;
    },
    current,
    close(req, res) {
      const id = sessionId(req);
      if (id) sessions.delete(keyOf(id));
      setCookie(req, res, SESSION_COOKIE, '', 0);
    },
    verifyCsrf(session, presented) {
      return typeof presented === 'string' && presented.length <= 200 && sameSecret(presented, session.csrf);
    },
    loginToken(req, res) {
      const existing = readCookie(req, cookieName(req, LOGIN_COOKIE));
      if (existing) return existing;
      const token = newId();
      setCookie(req, res, LOGIN_COOKIE, token, 3600);
      return token;
    },
    verifyLoginToken(req, presented) {
      const cookie = readCookie(req, cookieName(req, LOGIN_COOKIE));
      return (
        cookie !== undefined &&
        typeof presented === 'string' &&
        presented.length <= 200 &&
        sameSecret(presented, cookie)
      );
    },
    isAdminSession: (req) => current(req) !== undefined,
    flash(session, notice) {
      session.flash.push({ kind: notice.kind, text: notice.text.slice(0, FLASH_TEXT_MAX) });
      if (session.flash.length > FLASH_MAX) session.flash.splice(0, session.flash.length - FLASH_MAX);
    },
    takeFlash(session) {
      return session.flash.splice(0, session.flash.length);
    },
    size: () => sessions.size,
  };
}
