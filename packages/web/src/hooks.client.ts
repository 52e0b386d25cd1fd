import type { HandleClientError } from '@sveltejs/kit';
import { ApiError } from '$lib/api/client.js';

// A load that fails on an API error shows the server's explanation and status on the error page,
// instead of a bare "Internal Error" and a stack trace in the console.
export const handleError: HandleClientError = ({ error, message }) => {
  if (error instanceof ApiError) return { message: error.detail, status: error.status, code: error.code };
  return { message };
};
