package io.herald.node.api;

import com.google.protobuf.Message;
import io.herald.protocol.v1.Error;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ErrorResponse;
import java.time.Duration;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;

/** HTTP answers with Protobuf bodies: success bodies and {@code ErrorResponse}s. */
public final class ApiResponses {

  private ApiResponses() {}

  public static HttpResponse ok(Message body, BodyFormat format) {
    return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(format.entity(body));
  }

  public static HttpResponse error(StatusCode status, ErrorCode code, String message, BodyFormat format) {
    return HttpResponse.create().withStatus(status).withEntity(format.entity(errorBody(code, message)));
  }

  /** The body of every error answer, whichever server sends it. */
  public static ErrorResponse errorBody(ErrorCode code, String message) {
    return ErrorResponse.newBuilder()
        .setError(Error.newBuilder().setCode(code).setMessage(message))
        .build();
  }

  /** 503 with Retry-After: the client should back off and try again. */
  public static HttpResponse unavailable(ErrorCode code, String message, Duration retryAfter, BodyFormat format) {
    return error(StatusCodes.SERVICE_UNAVAILABLE, code, message, format)
        .addHeader(RetryAfter.create(Math.max(1, retryAfter.toSeconds())));
  }

  /** 401 with the Bearer challenge: no credentials, or ones this node does not accept. */
  public static HttpResponse unauthorized(String message, BodyFormat format) {
    return error(StatusCodes.UNAUTHORIZED, ErrorCode.UNAUTHORIZED, message, format)
        .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "herald")));
  }

  /** The error code that fits an HTTP status the router produced itself (404, 405, ...). */
  public static ErrorCode codeFor(StatusCode status) {
    int value = status.intValue();
    if (value == 404) {
      return ErrorCode.NOT_FOUND;
    }
    if (value == 413) {
      return ErrorCode.PAYLOAD_TOO_LARGE;
    }
    if (value == 401) {
      return ErrorCode.UNAUTHORIZED;
    }
    if (value == 403) {
      return ErrorCode.FORBIDDEN;
    }
    if (value == 503) {
      return ErrorCode.UNAVAILABLE;
    }
    return value >= 500 ? ErrorCode.INTERNAL : ErrorCode.INVALID_REQUEST;
  }
}
