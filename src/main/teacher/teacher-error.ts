/** A file that is not a usable teacher part; the message names the file, what was expected and found. */
export class TeacherModelError extends Error {}
