"""From items to an issue: candidates, story clusters, ranking, articles, the editor's picks."""
