// What every stub throws until the learner replaces it.
export class NotImplementedYet extends Error {
  constructor(exercise: string) {
    super(`Not implemented yet: exercise ${exercise}. Open the file named in the stack trace and write it.`);
    this.name = 'NotImplementedYet';
  }
}

export function todo(exercise: string): never {
  throw new NotImplementedYet(exercise);
}
