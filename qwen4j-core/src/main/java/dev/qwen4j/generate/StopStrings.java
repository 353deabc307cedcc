package dev.qwen4j.generate;

import java.util.List;

/**
 * Watches streamed text for stop strings. Text that could still be the start of a stop string is held back
 * until it either completes one (the text is cut before it) or cannot any more (it is released).
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean matched;

    StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    boolean isEmpty() {
        return stops.isEmpty();
    }

    boolean matched() {
        return matched;
    }

    /** Adds text; returns what may be shown now. After a match, returns the text before it and ignores the rest. */
    String push(String text) {
        if (matched) return "";
        if (stops.isEmpty()) return text;
        held.append(text);
        int cut = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            matched = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The end of the stream: whatever was held back was not a stop string after all. */
    String flush() {
        String out = held.toString();
        held.setLength(0);
        return matched ? "" : out;
    }

    private int longestSuffixThatStartsAStop() {
        String h = held.toString();
        int best = 0;
        for (String stop : stops) {
            int max = Math.min(stop.length() - 1, h.length());
            for (int len = max; len > best; len--) {
                if (h.regionMatches(h.length() - len, stop, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
