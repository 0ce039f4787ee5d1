/** One palette for map, table and legend. Verdicts also differ by line style and symbol, not by colour alone. */
export const COLORS = {
  forwarded: '#1b8a4a',
  dropped: '#d1342f',
  pod: '#2f6fd6',
  world: '#8a4fc4',
  host: '#5f6b7a',
  unknown: '#a0a7b1',
  groupFill: '#f5f7fb',
  groupStroke: '#c8d0dc',
  worldFill: '#f7f2fc',
  text: '#1d2530',
  muted: '#5d6877',
  highlight: '#f2a900',
  selected: '#111827',
} as const;
