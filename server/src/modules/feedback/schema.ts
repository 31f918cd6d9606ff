import { z } from 'zod';

export const CSAT_COMMENT_MAX = 1000;

/** The visitor's rating at the end of a chat: a whole number 1–5, a comment if they like. */
export const ratingBody = z
  .object({
    rating: z.number().int().min(1).max(5),
    comment: z.string().trim().max(CSAT_COMMENT_MAX).optional(),
  })
  .strict();
export type RatingBody = z.infer<typeof ratingBody>;
