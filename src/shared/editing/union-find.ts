/**
 * Union–find over provisional labels in an Int32Array (parent[x] = x for a root), as two-pass
 * connected-component labelling uses it. The smaller root always wins, keeping parent[x] ≤ x: the
 * root of a set is its earliest member, which the labelling's second pass relies on.
 */
export function find(parent: Int32Array, x: number): number {
  while (parent[x]! !== x) {
    const up = parent[parent[x]!]!; // path halving
    parent[x] = up;
    x = up;
  }
  return x;
}

export function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}
