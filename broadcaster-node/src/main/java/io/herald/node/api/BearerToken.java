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
    Optional<String> header = fromHeader(request);
    return header.isPresent() ? header : request.getUri().query().get("token").filter(token -> !token.isBlank());
  }

  /**
   * The same from raw values, for servers other than Pekko HTTP: the {@code Authorization}
   * header and the {@code token} query parameter, either of them null when absent.
   */
  public static Optional<String> of(String authorization, String queryToken) {
    if (authorization != null) {
      String[] parts = authorization.trim().split("\\s+", 2);
      if (parts.length == 2 && parts[0].equalsIgnoreCase("Bearer") && !parts[1].isBlank()) {
        return Optional.of(parts[1].trim());
      }
    }
    return Optional.ofNullable(queryToken).filter(token -> !token.isBlank());
  }

  /** The token of the {@code Authorization: Bearer} header only, as backends send API keys. */
  public static Optional<String> fromHeader(HttpRequest request) {
    return request.getHeader(Authorization.class)
        .map(Authorization::credentials)
        .filter(credentials -> credentials.scheme().equalsIgnoreCase("Bearer"))
        .map(credentials -> credentials.token())
        .filter(token -> !token.isBlank());
  }
}
