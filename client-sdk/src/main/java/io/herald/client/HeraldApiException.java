package io.herald.client;

import io.herald.protocol.v1.ErrorCode;

/**
 * The HTTP API answered with an error status. Subclasses name the statuses a caller
 * handles differently; retrying the same request does not help any of them except
 * {@link UnavailableException}, which the client already retried.
 */
public class HeraldApiException extends HeraldException {

  private static final long serialVersionUID = 1L;

  private final int status;

  /** An answer with this status, and the error code and message of its body. */
  public HeraldApiException(int status, ErrorCode code, String message) {
    super(code, message + " (HTTP " + status + ", " + code + ")");
    this.status = status;
  }

  /** The HTTP status of the answer. */
  public int status() {
    return status;
  }

  /** 400, 413, 415, 422: the request itself is wrong (bad topic, body too large, ...). */
  public static final class InvalidRequestException extends HeraldApiException {
    private static final long serialVersionUID = 1L;

    /** An answer with this status, code and message. */
    public InvalidRequestException(int status, ErrorCode code, String message) {
      super(status, code, message);
    }
  }

  /** 401: missing or wrong credentials. */
  public static final class UnauthorizedException extends HeraldApiException {
    private static final long serialVersionUID = 1L;

    /** An answer with this status, code and message. */
    public UnauthorizedException(int status, ErrorCode code, String message) {
      super(status, code, message);
    }
  }

  /** 403: the credentials do not allow this. */
  public static final class ForbiddenException extends HeraldApiException {
    private static final long serialVersionUID = 1L;

    /** An answer with this status, code and message. */
    public ForbiddenException(int status, ErrorCode code, String message) {
      super(status, code, message);
    }
  }

  /** 404: no such resource. */
  public static final class NotFoundException extends HeraldApiException {
    private static final long serialVersionUID = 1L;

    /** An answer with this status, code and message. */
    public NotFoundException(int status, ErrorCode code, String message) {
      super(status, code, message);
    }
  }

  /** 409: a compare-and-set found another version. */
  public static final class ConflictException extends HeraldApiException {
    private static final long serialVersionUID = 1L;

    /** An answer with this status, code and message. */
    public ConflictException(int status, ErrorCode code, String message) {
      super(status, code, message);
    }
  }

  /** 503 on every attempt: the node is overloaded or shutting down. */
  public static final class UnavailableException extends HeraldApiException {
    private static final long serialVersionUID = 1L;

    /** An answer with this status, code and message. */
    public UnavailableException(int status, ErrorCode code, String message) {
      super(status, code, message);
    }
  }

  /** The exception that fits an error status. */
  public static HeraldApiException of(int status, ErrorCode code, String message) {
    return switch (status) {
      case 400, 413, 415, 422 -> new InvalidRequestException(status, code, message);
      case 401 -> new UnauthorizedException(status, code, message);
      case 403 -> new ForbiddenException(status, code, message);
      case 404 -> new NotFoundException(status, code, message);
      case 409 -> new ConflictException(status, code, message);
      case 503 -> new UnavailableException(status, code, message);
      default -> new HeraldApiException(status, code, message);
    };
  }
}
