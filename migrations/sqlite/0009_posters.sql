-- Where a video's poster comes from: a frame taken by ffmpeg ('auto') or an image the
-- studio chose ('custom'), which nothing automatic replaces.
ALTER TABLE files ADD COLUMN poster TEXT CHECK (poster IN ('auto', 'custom'));
