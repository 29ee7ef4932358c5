import * as z from 'zod/mini';

/** Text as a caller sent it, less the spaces around it, then `min` to `max` characters long. */
export const trimmed = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
