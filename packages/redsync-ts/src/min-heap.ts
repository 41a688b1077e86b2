/** An entry a {@link MinHeap} can hold: it keeps its own position, so removal is O(log n). */
export interface HeapEntry {
  /** The key the heap orders by (smallest first). */
  due: number;
  /** Position in the heap, or -1 when not in it. Maintained by the heap. */
  heapIndex: number;
}

/** A binary min-heap of entries ordered by `due`, with removal of arbitrary entries. */
export class MinHeap<T extends HeapEntry> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The entry with the smallest `due`, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(entry: T): void {
    entry.heapIndex = this.#items.length;
    this.#items.push(entry);
    this.#up(entry.heapIndex);
  }

  /** Removes and returns the entry with the smallest `due`. */
  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `entry` if present; a no-op otherwise. */
  remove(entry: T): void {
    const index = entry.heapIndex;
    if (index < 0 || this.#items[index] !== entry) return;
    const last = this.#items.pop() as T;
    entry.heapIndex = -1;
    if (last === entry) return;
    this.#items[index] = last;
    last.heapIndex = index;
    this.#down(index);
    this.#up(last.heapIndex);
  }

  #up(index: number): void {
    const items = this.#items;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as T).due <= (items[i] as T).due) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(index: number): void {
    const items = this.#items;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && (items[left] as T).due < (items[smallest] as T).due) smallest = left;
      if (right < items.length && (items[right] as T).due < (items[smallest] as T).due) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const x = items[a] as T;
    const y = items[b] as T;
    items[a] = y;
    items[b] = x;
    y.heapIndex = a;
    x.heapIndex = b;
  }
}
