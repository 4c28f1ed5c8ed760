CREATE TABLE `portal_links` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`key_id` text,
	`email` text NOT NULL,
	`source` text,
	`entities` text,
	`session_seconds` integer NOT NULL,
	`return_url` text,
	`created` integer NOT NULL,
	`expires` integer NOT NULL,
	`opened` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `portal_links_org` ON `portal_links` (`org_id`);--> statement-breakpoint
CREATE INDEX `portal_links_key` ON `portal_links` (`key_id`);--> statement-breakpoint
ALTER TABLE `organizations` ADD `display_name` text;--> statement-breakpoint
ALTER TABLE `organizations` ADD `accent_color` text;--> statement-breakpoint
ALTER TABLE `organizations` ADD `frame_ancestors` text DEFAULT '[]' NOT NULL;