package io.herald.node.edge;

import io.herald.node.api.ApiResponses;
import io.herald.node.api.BearerToken;
import io.herald.protocol.Json;
import io.herald.protocol.v1.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the one HTTP request a device socket starts with. An admitted {@code GET /v1/ws}
 * upgrade becomes a WebSocket handled by a {@link DeviceSocket}; anything else is answered
 * with an error body, as the API answers, and the socket closed.
 */
final class UpgradeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger log = LoggerFactory.getLogger(UpgradeHandler.class);

  static final String PATH = "/v1/ws";
  static final String TIMEOUT = "upgrade-timeout";

  /**
   * Frames above this are closed by the WebSocket decoder (status 1009) instead of being
   * answered: the decoder holds a whole frame before passing it on. Between
   * {@code max-frame-bytes} and this, a frame is read, discarded and answered FRAME_TOO_LARGE.
   */
  static int hardFrameLimit(int maxFrameBytes) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(16L * maxFrameBytes, 1 << 20));
  }

  private final DeviceAdmission admission;
  private final String webSocketUrl;
  private final int maxFrameBytes;
  private final WebSocketDecoderConfig decoderConfig;

  /** One per socket; {@code decoderConfig} is the edge's, shared by all of them. */
  UpgradeHandler(DeviceAdmission admission, String webSocketUrl, int maxFrameBytes,
      WebSocketDecoderConfig decoderConfig) {
    this.admission = admission;
    this.webSocketUrl = webSocketUrl;
    this.maxFrameBytes = maxFrameBytes;
    this.decoderConfig = decoderConfig;
  }

  /** The WebSocket decoder settings of every device socket. */
  static WebSocketDecoderConfig decoderConfig(int maxFrameBytes) {
    return WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(hardFrameLimit(maxFrameBytes))
        .allowExtensions(false)
        .build();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (!request.decoderResult().isSuccess()) {
      refuse(ctx, HttpResponseStatus.BAD_REQUEST, ErrorCode.INVALID_REQUEST, "malformed HTTP request");
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    if (!uri.path().equals(PATH)) {
      refuse(ctx, HttpResponseStatus.NOT_FOUND, ErrorCode.NOT_FOUND,
          "this port serves device WebSockets on " + PATH + " only; the API is on the node's HTTP port");
      return;
    }
    if (!request.method().equals(HttpMethod.GET)) {
      refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, ErrorCode.INVALID_REQUEST, PATH + " supports GET only");
      return;
    }
    if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      refuse(ctx, HttpResponseStatus.BAD_REQUEST, ErrorCode.INVALID_REQUEST, "expected a WebSocket upgrade request");
      return;
    }
    List<String> queryToken = uri.parameters().get("token");
    Optional<String> token = BearerToken.of(request.headers().get(HttpHeaderNames.AUTHORIZATION),
        queryToken == null || queryToken.isEmpty() ? null : queryToken.get(0));
    DeviceAdmission.Verdict verdict = admission.admit(token, offeredSubprotocols(request));
    if (verdict instanceof DeviceAdmission.Refused refused) {
      refuse(ctx, refused);
      return;
    }
    upgrade(ctx, request, (DeviceAdmission.Admitted) verdict);
  }

  private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, DeviceAdmission.Admitted admitted) {
    WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
        webSocketUrl, admitted.subprotocol().orElse(null), decoderConfig).newHandshaker(request);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    // No frame is read until the device's handler is in place.
    ctx.channel().config().setAutoRead(false);
    handshaker.handshake(ctx.channel(), request).addListener(done -> {
      if (!done.isSuccess() || !ctx.channel().isActive()) {
        log.debug("WebSocket handshake failed", done.cause());
        ctx.close();
        return;
      }
      ctx.pipeline().remove(TIMEOUT);
      ctx.pipeline().replace(this, "device", new DeviceSocket(admission.open(admitted), maxFrameBytes,
          admission.services().settings().closeTimeout(), admission.services().metrics()));
      ctx.channel().config().setAutoRead(true);
    });
  }

  private static List<String> offeredSubprotocols(FullHttpRequest request) {
    return request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL).stream()
        .flatMap(value -> Arrays.stream(value.split(",")))
        .map(String::trim)
        .filter(value -> !value.isEmpty())
        .toList();
  }

  private static void refuse(ChannelHandlerContext ctx, DeviceAdmission.Refused refused) {
    FullHttpResponse response = errorResponse(HttpResponseStatus.valueOf(refused.status()), refused.code(),
        refused.message());
    if (refused.challenge()) {
      response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"herald\"");
    }
    refused.retryAfter().ifPresent(after ->
        response.headers().set(HttpHeaderNames.RETRY_AFTER, Math.max(1, after.toSeconds())));
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, ErrorCode code, String message) {
    admission.services().metrics().connectionRefused(code);
    ctx.writeAndFlush(errorResponse(status, code, message)).addListener(ChannelFutureListener.CLOSE);
  }

  private static FullHttpResponse errorResponse(HttpResponseStatus status, ErrorCode code, String message) {
    byte[] body = Json.print(ApiResponses.errorBody(code, message)).getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return response;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A socket that never sent its request in time, or broke off: nothing to answer.
    log.debug("device socket closed before its upgrade", cause);
    ctx.close();
  }
}
