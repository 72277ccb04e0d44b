package io.herald.client;

import io.herald.protocol.v1.ErrorCode;

/**
 * A request to Herald failed. {@link #code()} says why when the node answered with an
 * error; it is {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when no answer came.
 */
public class HeraldException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The node's error code, or {@code ERROR_CODE_UNSPECIFIED}. */
  private final ErrorCode code;

  /** A failure with the node's error code (or none), what happened, and its cause. */
  public HeraldException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** A failure with the node's error code (or none) and what happened. */
  public HeraldException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /** The error code the node answered with, or {@code ERROR_CODE_UNSPECIFIED}. */
  public ErrorCode code() {
    return code;
  }
}
