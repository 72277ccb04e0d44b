package io.herald.node.ops;

import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Whether this node's device edge serves: bound and not draining. Pekko Management
 * creates health checks by reflection, so they find the node's state through this
 * extension.
 */
public final class EdgeState implements Extension {

  private static final AbstractExtensionId<EdgeState> ID = new AbstractExtensionId<>() {
    @Override
    public EdgeState createExtension(ExtendedActorSystem system) {
      return new EdgeState();
    }
  };

  public static EdgeState get(ActorSystem system) {
    return ID.get(system);
  }

  private volatile BooleanSupplier serving = () -> false;

  private EdgeState() {}

  /** Called once the edge is bound, with what tells whether it still accepts connections. */
  public void servingWhile(BooleanSupplier accepting) {
    this.serving = accepting;
  }

  public boolean isServing() {
    return serving.getAsBoolean();
  }
}
