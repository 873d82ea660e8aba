/**
 * The canvas's undo/redo: a list of states (each a full snapshot, so undo never has to invert an
 * edit) and a cursor. A new edit after undoing drops the states that were undone, as editors do.
 * States should share what did not change (a prompt edit keeps the same mask snapshot), which keeps
 * the memory to one mask per stroke; the oldest states go when `limit` is reached.
 */
export class EditHistory<S> {
  private states: S[];
  private at = 0;
  /** The position of the state last saved (or loaded): "unsaved changes" is `at !== saved`. */
  private saved = 0;

  constructor(
    initial: S,
    private readonly limit = 100,
  ) {
    this.states = [initial];
  }

  get current(): S {
    return this.states[this.at]!;
  }

  get canUndo(): boolean {
    return this.at > 0;
  }

  get canRedo(): boolean {
    return this.at < this.states.length - 1;
  }

  /** Whether the current state differs from the one last saved or loaded. */
  get dirty(): boolean {
    return this.at !== this.saved;
  }

  /** Records the state after an edit. */
  push(state: S): void {
    this.states.splice(this.at + 1);
    this.states.push(state);
    this.at++;
    const over = this.states.length - this.limit;
    if (over > 0) {
      this.states.splice(0, over);
      this.at -= over;
      // The saved state fell off the list: no undo can return to it any more.
      this.saved = this.saved - over < 0 ? -1 : this.saved - over;
    }
  }

  /** The state before the last edit, now current; null when there is none. */
  undo(): S | null {
    if (!this.canUndo) return null;
    return this.states[--this.at]!;
  }

  /** The state the last undo left, now current again; null when there is none. */
  redo(): S | null {
    if (!this.canRedo) return null;
    return this.states[++this.at]!;
  }

  /** The current state is now the saved one (after a save). */
  markSaved(): void {
    this.saved = this.at;
  }

  /** Starts over from `initial` (another image), saved. */
  reset(initial: S): void {
    this.states = [initial];
    this.at = 0;
    this.saved = 0;
  }
}
