package io.herald.node.bench;

import io.herald.node.aggregate.Aggregate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Walking a large group a page at a time (GET /v1/groups/{id}/devices?after=), as its
 * aggregator lists member ids: one page of 1,000 after the previous one, round and round
 * ({@code nextPage}), and the first page a group is asked for, which sorts its ids
 * ({@code firstPage}, one per freshly filled group).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GroupPageBenchmark {

  private static final int PAGE = 1_000;

  /** A group filled once and walked round and round. */
  @State(Scope.Thread)
  public static class WalkedGroup {
    @Param({"100000", "1000000"})
    public int members;

    Aggregate aggregate;
    String after = "";

    @Setup(Level.Trial)
    public void fill() {
      aggregate = filled(members);
    }
  }

  @Benchmark
  public Aggregate.MemberPage nextPage(WalkedGroup group) {
    Aggregate.MemberPage page = group.aggregate.memberIdsAfter(group.after, PAGE);
    group.after = page.more() ? page.memberIds().get(page.memberIds().size() - 1) : "";
    return page;
  }

  /** A group never asked for a page before each measurement. */
  @State(Scope.Thread)
  public static class FreshGroup {
    @Param({"100000", "1000000"})
    public int members;

    Aggregate aggregate;

    @Setup(Level.Iteration)
    public void fill() {
      aggregate = filled(members);
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  public Aggregate.MemberPage firstPage(FreshGroup group) {
    return group.aggregate.memberIdsAfter("", PAGE);
  }

  private static Aggregate filled(int members) {
    Aggregate aggregate = new Aggregate();
    for (int i = 0; i < members; i++) {
      // Ids joined in no particular order, as devices connect.
      long scattered = (i * 7919L) % members;
      aggregate.update(String.format("device-%07d", scattered), true, Map.of("t", 1.0), 1, "node");
    }
    return aggregate;
  }
}
