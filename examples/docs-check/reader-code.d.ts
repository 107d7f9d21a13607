// The reader's own code that README snippets import relatively ("../src", "./my-backend").
declare module "reader-code" {
  import type { LockBackend } from "@syncguard/core";
  export function createMyBackend(options?: { dir: string }): LockBackend;
  export function createBackend(): LockBackend;
}
