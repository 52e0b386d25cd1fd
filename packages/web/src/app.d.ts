// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    /** What the error page gets: for API failures, the server's status and stable error code. */
    interface Error {
      message: string;
      status?: number;
      code?: string;
    }
  }
}

export {};
