import type { Dependencies } from './dependencies';
import { StaleGrantError } from './errors';
import type { Grant } from './model';

/** The grant revoked, its tokens deleted (TikTok's guidance when a seller disconnects). */
export function revoked(grant: Grant): Grant {
  const { accessToken: _access, refreshToken: _refresh, ...rest } = grant;
  return { ...rest, status: 'REVOKED' };
}

const ATTEMPTS = 5;

/**
 * `change` applied to a grant already read, written conditionally on its version; when another writer got there
 * first, the same through {@link updateGrantWithRetry}. Saves the read when nobody wrote since.
 */
export async function updateGrantFrom(
  deps: Pick<Dependencies, 'store'>,
  known: Grant,
  change: (current: Grant | undefined) => Grant | undefined,
): Promise<Grant | undefined> {
  const next = change(known);
  if (!next) return known;
  try {
    return await deps.store.updateGrant({ ...next, version: known.version });
  } catch (error) {
    if (!(error instanceof StaleGrantError)) throw error;
    return updateGrantWithRetry(deps, known.openId, change);
  }
}

/**
 * Reads the grant, applies `change`, and writes it conditionally on the version read; when another writer got
 * there first, reads again and re-applies. `change` returns undefined to leave the grant as it is.
 */
export async function updateGrantWithRetry(
  deps: Pick<Dependencies, 'store'>,
  openId: string,
  change: (current: Grant | undefined) => Grant | undefined,
): Promise<Grant | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.getGrant(openId);
    const next = change(current);
    if (!next || !current) return next ?? current;
    try {
      return await deps.store.updateGrant({ ...next, version: current.version });
    } catch (error) {
      if (!(error instanceof StaleGrantError) || attempt >= ATTEMPTS) throw error;
    }
  }
}
