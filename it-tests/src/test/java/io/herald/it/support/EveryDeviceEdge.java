package io.herald.it.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs a test class once per device edge ({@code herald.edge}), so the edges cannot drift
 * apart. The class takes the edge in a {@code @Parameter String edge} field and starts its
 * nodes with {@code "herald.edge", edge}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "edge = {0}")
@ValueSource(strings = {"netty", "pekko-http"})
public @interface EveryDeviceEdge {}
