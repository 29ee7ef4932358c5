/** TikTok Shop's two markets, each with its own authorize page: the US, and the rest of the world. */
export const MARKETS = ['ROW', 'US'] as const;
export type Market = (typeof MARKETS)[number];
