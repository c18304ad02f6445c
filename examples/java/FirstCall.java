// A first call through ingate from Java: count, begin, send, restore, finish.
//
// Build the jar with `mvn package` in bindings-kotlin, then:
//     javac -cp "bindings-kotlin/target/ingate-0.1.0.jar:$(cat bindings-kotlin/target/runtime-classpath.txt)" \
//         -d target/java-example examples/java/FirstCall.java
//     java -cp "target/java-example:bindings-kotlin/target/ingate-0.1.0.jar:$(cat bindings-kotlin/target/runtime-classpath.txt)" FirstCall

import dev.ingate.BudgetExceededException;
import dev.ingate.Call;
import dev.ingate.CallRecord;
import dev.ingate.IngateException;
import dev.ingate.Policy;
import dev.ingate.TokenCount;
import dev.ingate.Usage;
import java.math.BigDecimal;
import java.util.Map;

public final class FirstCall {
    private FirstCall() {}

    public static void main(String[] args) {
        Policy policy = Policy.fromToml(String.join("\n",
                "[models.aliases]",
                "fast = \"gpt-4o-mini\"",
                "[[budgets]]",
                "scope = \"acme/search\"",
                "usd_per_day = \"100\"",
                "requests_per_minute = 1"));

        // Exact counts where the vendor publishes its tokenizer.
        TokenCount count = policy.countTokens("gpt-4o", "Hello, world!");
        check(count.getTokens() == 4 && count.getExact(), "countTokens: " + count);

        String request = "{\"model\": \"fast\", \"max_tokens\": 50, \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"Write to jane@example.com\"}]}";

        // try-with-resources: leaving the block without finish() aborts the call and releases its reservation.
        try (Call call = policy.begin(request, "acme/search", Map.of("team", "search"))) {
            String sent = call.getRequest();
            check(sent.contains("<EMAIL_1>") && !sent.contains("jane@"), "the request sent is redacted");

            // Send `sent` to the vendor here; this example makes up its reply and usage.
            String reply = call.restore("Wrote to <EMAIL_1>.");
            check(reply.equals("Wrote to jane@example.com."), "restore: " + reply);

            CallRecord record = call.finish(new Usage(12, 7));
            check(record.getCostUsd().equals(new BigDecimal("0.000006")), "cost: " + record.getCostUsd());
            System.out.println("call " + record.getId() + " cost $" + record.getCostUsd().toPlainString()
                    + ", " + record.getInputTokens() + " input tokens, model " + record.getResponseModel());
        }

        // The second request in the same minute crosses requests_per_minute = 1.
        try (Call call = policy.begin(request, "acme/search", Map.of())) {
            throw new AssertionError("the second call should have been denied, got " + call);
        } catch (BudgetExceededException denied) {
            check(denied.getLimit().equals(BigDecimal.ONE), "limit: " + denied.getLimit());
            System.out.println("denied: " + denied.getMessage());
            System.out.println("window resets at " + denied.getResetsAt() + "; record decision "
                    + denied.getRecord().getDecision());
        } catch (IngateException other) {
            throw new AssertionError("expected BudgetExceededException, got " + other.getKind(), other);
        }

        // Standalone helpers on the default policy.
        System.out.println("default policy counts " + Policy.defaultPolicy().countTokens("gpt-4o", "Hi").getTokens()
                + " token(s) for \"Hi\"");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
