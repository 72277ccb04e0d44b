package io.herald.node.api;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Authorization;

/** The bearer token of a request: its {@code Authorization} header, or a {@code token} query parameter. */
public final class BearerToken {

  private BearerToken() {}

  /**
   * The request's token. The query parameter exists for browsers, whose WebSocket API
   * cannot set headers; the header wins when both are present.
   */
  public static Optional<String> of(HttpRequest request) {
    Optional<String> header = request.getHeader(Authorization.class)
        .map(Authorization::credentials)
        .filter(credentials -> credentials.scheme().equalsIgnoreCase("Bearer"))
        .map(credentials -> credentials.token())
        .filter(token -> !token.isBlank());
    return header.isPresent() ? header : request.getUri().query().get("token").filter(token -> !token.isBlank());
  }
}
