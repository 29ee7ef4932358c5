import { createLogger } from './logger';

/** The one logger of a function (Powertools, redacting); handlers and adapters share it. */
export const logger = createLogger();
