"""One parser per feed format. Each takes the feed's files and a FeedReport, and yields
(table, row) pairs for the tables of hygie.vulns.feeds.tables; bad records are reported and skipped,
a file that cannot be read at all raises FeedFileError naming it."""
