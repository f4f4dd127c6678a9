import { BUCKET_COUNT } from './customer-bucket.js';

/** Buckets `first` (included) to `end` (excluded). */
export interface BucketRange {
  readonly first: number;
  readonly end: number;
}

/**
 * Where each challenger's customers are, from its share in buckets, in list order (pure). The first
 * challenger grows up from bucket 0; the others are stacked down from the top, in list order; the champion
 * keeps the gap in the middle. So the first and the last challenger each border the champion with one edge
 * and have the other fixed: changing such a challenger's weight moves customers between it and the champion
 * only (raising it takes champion customers, none of its own move). With one or two challengers that is
 * every challenger; a challenger between two others shifts the later ones when its weight changes.
 */
export function challengerBucketRanges(sizes: readonly number[]): BucketRange[] {
  let top = BUCKET_COUNT;
  return sizes.map((size, index) => {
    if (index === 0) return { first: 0, end: size };
    top -= size;
    return { first: top, end: top + size };
  });
}
